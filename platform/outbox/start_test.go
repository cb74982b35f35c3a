package outbox

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	microevents "go-micro.dev/v5/events"

	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/testenv/natstest"
)

// TestStart starts the relay of a service with no broker, whose events
// wait and which says so, and of one with a broker, whose events are
// published once the relay is notified.
func TestStart(t *testing.T) {
	t.Parallel()
	t.Run("no broker", func(t *testing.T) {
		t.Parallel()
		var logs syncBuffer
		store := &fakeStore{}
		store.add(messages("waits", 2, time.Now())...)
		relay, stop, err := Start(t.Context(), Service{Name: "shippy.test", Store: store, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: prometheus.NewRegistry()})
		if err != nil {
			t.Fatalf("Start = %v, want nil", err)
		}
		relay.Notify()
		eventually(t, "a failed publish logged", func() bool { return strings.Contains(logs.String(), "cannot relay events") })
		stop()
		if got := store.len(); got != 2 {
			t.Errorf("%d events pending after stop, want 2", got)
		}
		if !strings.Contains(logs.String(), "no event broker configured") {
			t.Errorf("log %q does not say that no broker is configured", logs.String())
		}
	})
	t.Run("broker", func(t *testing.T) {
		t.Parallel()
		srv := natstest.Start(t)
		logger := slog.New(slog.NewTextHandler(t.Output(), nil))
		store := &fakeStore{}
		relay, stop, err := Start(t.Context(), Service{Name: "shippy.test", BrokerURL: srv.URL(), Store: store, Logger: logger, Metrics: prometheus.NewRegistry()})
		if err != nil {
			t.Fatalf("Start = %v, want nil", err)
		}
		defer stop()
		ms := messages("sent", 3, time.Now())
		store.add(ms...)
		relay.Notify()
		eventually(t, "the events published", func() bool { return store.len() == 0 })

		stream, err := events.Connect(t.Context(), events.Config{URL: srv.URL(), Name: t.Name(), Logger: logger})
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		defer stream.Close()
		ch, err := stream.Consume(ms[0].Subject, microevents.WithGroup("check"))
		if err != nil {
			t.Fatalf("Consume: %v", err)
		}
		for range ms {
			select {
			case e := <-ch:
				if err := e.Ack(); err != nil {
					t.Fatalf("Ack: %v", err)
				}
			case <-time.After(wait):
				t.Fatalf("an event was not delivered")
			}
		}
	})
	t.Run("nil logger", func(t *testing.T) {
		t.Parallel()
		if _, _, err := Start(t.Context(), Service{Store: &fakeStore{}, Metrics: prometheus.NewRegistry()}); err == nil {
			t.Errorf("Start with a nil logger = nil, want an error")
		}
	})
}
