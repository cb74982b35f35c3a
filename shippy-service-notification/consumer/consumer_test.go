package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	microevents "go-micro.dev/v5/events"
	"google.golang.org/protobuf/proto"

	protoevents "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// fakeStream hands out one channel per subject.
type fakeStream struct {
	chs map[string]chan microevents.Event
}

func (s *fakeStream) Consume(topic string, opts ...microevents.ConsumeOption) (<-chan microevents.Event, error) {
	var o microevents.ConsumeOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.Group != Group || o.AutoAck || o.RetryLimit != RetryLimit {
		return nil, fmt.Errorf("consume %s with group %q, auto ack %v, retry limit %d", topic, o.Group, o.AutoAck, o.RetryLimit)
	}
	return s.chs[topic], nil
}

// fakeHandler answers every event with err, recording the ids.
type fakeHandler struct {
	err error
	mu  sync.Mutex
	ids []string
}

func (h *fakeHandler) UserCreated(_ context.Context, e notification.UserCreated) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids = append(h.ids, e.EventID)
	return h.err
}

func (h *fakeHandler) ConsignmentBooked(_ context.Context, e notification.ConsignmentBooked) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids = append(h.ids, e.EventID)
	return h.err
}

// settlement is how an event was settled.
type settlement struct {
	acked, nacked bool
	park, fail    string // the reasons Park and Fail put in the metadata
}

// TestSettle delivers one event per case and checks how it is settled.
func TestSettle(t *testing.T) {
	t.Parallel()
	booked := func(version uint32) []byte {
		b, err := proto.Marshal(&protoevents.ConsignmentBooked{EventId: "e-1", Version: version, BookedAtUnixMillis: 1,
			ConsignmentId: "c-1", UserId: "u-1", VesselId: "v-1", Containers: 1, Weight: 1})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name       string
		payload    []byte
		handlerErr error
		want       settlement
		handled    bool
	}{
		{"handled", booked(protoevents.Version), nil, settlement{acked: true}, true},
		{"malformed", []byte("\xff\xff not protobuf"), nil, settlement{nacked: true, park: "malformed event"}, false},
		{"unknown version", booked(protoevents.Version + 1), nil, settlement{nacked: true, park: "unknown event version"}, false},
		{"invalid", booked(protoevents.Version), notification.ErrInvalid, settlement{nacked: true, park: "invalid event"}, true},
		{"rejected", booked(protoevents.Version), notification.ErrRejected, settlement{nacked: true, park: "mail rejected"}, true},
		{"owner unknown", booked(protoevents.Version), notification.ErrUnknownUser, settlement{nacked: true, fail: "owner unknown"}, true},
		{"mail server down", booked(protoevents.Version), errors.New("dial: connection refused"), settlement{nacked: true, fail: "dial: connection refused"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := &fakeStream{chs: map[string]chan microevents.Event{
				protoevents.SubjectUserCreated:       make(chan microevents.Event),
				protoevents.SubjectConsignmentBooked: make(chan microevents.Event),
			}}
			h := &fakeHandler{err: tt.handlerErr}
			c, err := New(stream, h, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			wait, err := c.Start(ctx)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			md := map[string]string{}
			settled := make(chan settlement, 1)
			e := microevents.Event{ID: "e-1", Topic: protoevents.SubjectConsignmentBooked, Payload: tt.payload, Metadata: md}
			e.SetAckFunc(func() error { settled <- settlement{acked: true}; return nil })
			e.SetNackFunc(func() error {
				settled <- settlement{nacked: true, park: md["Shippy-Park"], fail: md["Shippy-Error"]}
				return nil
			})
			stream.chs[protoevents.SubjectConsignmentBooked] <- e
			var got settlement
			select {
			case got = <-settled:
			case <-time.After(10 * time.Second):
				t.Fatal("event not settled")
			}
			cancel()
			wait()
			if got.acked != tt.want.acked || got.nacked != tt.want.nacked || !names(got.park, tt.want.park) || !names(got.fail, tt.want.fail) {
				t.Errorf("settled %+v, want %+v (reasons in part)", got, tt.want)
			}
			if handled := len(h.ids) == 1; handled != tt.handled {
				t.Errorf("handler called: %v, want %v", handled, tt.handled)
			}
		})
	}
}

// names reports whether the reason got names want, or both are empty.
func names(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}
