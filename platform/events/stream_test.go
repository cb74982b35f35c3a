package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/natstest"
	microevents "go-micro.dev/v5/events"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const topic = "shippy.test.happened"

// wait bounds how long a test waits for an event that should come.
const wait = 10 * time.Second

// connect returns a Stream on url, closed when the test ends, whose log
// goes to the test's.
func connect(t *testing.T, url string, edit ...func(*events.Config)) *events.Stream {
	t.Helper()
	cfg := events.Config{
		URL:     url,
		Name:    t.Name(),
		Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: []time.Duration{50 * time.Millisecond},
	}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := events.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// testWriter writes a Stream's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// consume is Consume that fails the test on error.
func consume(t *testing.T, s *events.Stream, group string, opts ...microevents.ConsumeOption) <-chan microevents.Event {
	t.Helper()
	ch, err := s.Consume(topic, append([]microevents.ConsumeOption{microevents.WithGroup(group)}, opts...)...)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	return ch
}

// publish publishes payload under id, failing the test on error.
func publish(t *testing.T, s *events.Stream, id string, payload any, opts ...microevents.PublishOption) {
	t.Helper()
	if err := s.Publish(topic, payload, append(opts, events.WithID(id))...); err != nil {
		t.Fatalf("Publish %s: %v", id, err)
	}
}

// receive returns the next event of ch, failing the test when none comes
// or ch is closed.
func receive(t *testing.T, ch <-chan microevents.Event) microevents.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the events channel was closed")
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
		return microevents.Event{}
	}
}

// none fails the test when ch yields an event within d.
func none(t *testing.T, ch <-chan microevents.Event, d time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("got event %s (delivery %s), want none", e.ID, e.Metadata[events.MetadataDeliveries])
	case <-time.After(d):
	}
}

// ack acks e, failing the test on error.
func ack(t *testing.T, e microevents.Event) {
	t.Helper()
	if err := e.Ack(); err != nil {
		t.Fatalf("Ack %s: %v", e.ID, err)
	}
}

// jsClient is a plain JetStream client on url, to look at the streams.
func jsClient(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamMsgs returns how many messages stream holds.
func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	return info.State.Msgs
}

// consumerInfo returns the state of group's consumer of topic.
func consumerInfo(t *testing.T, js jetstream.JetStream, group string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(t.Context(), events.StreamName, group+"_"+strings.ReplaceAll(topic, ".", "_"))
	if err != nil {
		t.Fatalf("consumer of %s: %v", group, err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatalf("consumer info of %s: %v", group, err)
	}
	return info
}

// deadLetter returns the last event parked on topic's dead-letter subject.
func deadLetter(t *testing.T, js jetstream.JetStream) *jetstream.RawStreamMsg {
	t.Helper()
	st, err := js.Stream(t.Context(), events.DeadStreamName)
	if err != nil {
		t.Fatalf("dead stream: %v", err)
	}
	var msg *jetstream.RawStreamMsg
	testenv.WaitFor(t, "a dead letter", func() bool {
		msg, err = st.GetLastMsgForSubject(t.Context(), events.DeadLetterSubject(topic))
		return err == nil
	})
	return msg
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	ch := consume(t, s, "round")

	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	publish(t, s, "e-1", wrapperspb.String("booked"),
		microevents.WithMetadata(map[string]string{"Trace-Id": "t-1"}), microevents.WithTimestamp(at))
	publish(t, s, "e-2", []byte("raw"))

	e := receive(t, ch)
	var got wrapperspb.StringValue
	if err := proto.Unmarshal(e.Payload, &got); err != nil || got.GetValue() != "booked" {
		t.Errorf("payload = %q (%v), want the marshalled StringValue", e.Payload, err)
	}
	if e.ID != "e-1" || e.Topic != topic || !e.Timestamp.Equal(at) {
		t.Errorf("event = %s on %s at %s, want e-1 on %s at %s", e.ID, e.Topic, e.Timestamp, topic, at)
	}
	want := map[string]string{"Trace-Id": "t-1", events.MetadataDeliveries: "1"}
	if fmt.Sprint(e.Metadata) != fmt.Sprint(want) {
		t.Errorf("metadata = %v, want %v", e.Metadata, want)
	}
	ack(t, e)
	if err := e.Ack(); !errors.Is(err, events.ErrSettled) {
		t.Errorf("second Ack = %v, want ErrSettled", err)
	}
	if err := e.Nack(); !errors.Is(err, events.ErrSettled) {
		t.Errorf("Nack after Ack = %v, want ErrSettled", err)
	}

	e = receive(t, ch)
	if e.ID != "e-2" || string(e.Payload) != "raw" || time.Since(e.Timestamp) > time.Minute {
		t.Errorf("event = %s %q at %s, want e-2 \"raw\" now", e.ID, e.Payload, e.Timestamp)
	}
	ack(t, e)
	none(t, ch, 200*time.Millisecond)

	js := jsClient(t, srv.URL())
	if info := consumerInfo(t, js, "round"); info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer: %d pending acks, %d pending events; want none", info.NumAckPending, info.NumPending)
	}
	// A new group reads what was published before it existed.
	late := consume(t, s, "late")
	for _, id := range []string{"e-1", "e-2"} {
		if e := receive(t, late); e.ID != id {
			t.Errorf("late group got %s, want %s", e.ID, id)
		} else {
			ack(t, e)
		}
	}
}

func TestPublishRefuses(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	tests := []struct {
		name  string
		topic string
		msg   any
		opts  []microevents.PublishOption
		want  error
	}{
		{"no topic", "", []byte("x"), []microevents.PublishOption{events.WithID("e")}, microevents.ErrMissingTopic},
		{"topic outside the stream", "other.topic", []byte("x"), []microevents.PublishOption{events.WithID("e")}, events.ErrInvalid},
		{"no id", topic, []byte("x"), nil, events.ErrMissingID},
		{"id replaced by WithMetadata after it", topic, []byte("x"), []microevents.PublishOption{events.WithID("e"), microevents.WithMetadata(map[string]string{"a": "b"})}, events.ErrMissingID},
		{"JSON guess", topic, map[string]string{"a": "b"}, []microevents.PublishOption{events.WithID("e")}, microevents.ErrEncodingMessage},
		{"reserved metadata", topic, []byte("x"), []microevents.PublishOption{microevents.WithMetadata(map[string]string{"Nats-Expected-Stream": "X"}), events.WithID("e")}, events.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Publish(tt.topic, tt.msg, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("Publish = %v, want %v", err, tt.want)
			}
		})
	}
	if n := streamMsgs(t, jsClient(t, srv.URL()), events.StreamName); n != 0 {
		t.Errorf("the stream holds %d events, want 0", n)
	}
}

func TestConsumeRefuses(t *testing.T) {
	t.Parallel()
	// No broker: the options are checked before anything is asked of it.
	s := connect(t, "nats://127.0.0.1:"+testenv.FreePort(t))
	tests := []struct {
		name  string
		topic string
		opts  []microevents.ConsumeOption
		want  error
	}{
		{"no topic", "", []microevents.ConsumeOption{microevents.WithGroup("g")}, microevents.ErrMissingTopic},
		{"wildcard", "shippy.>", []microevents.ConsumeOption{microevents.WithGroup("g")}, events.ErrInvalid},
		{"no group", topic, nil, events.ErrInvalid},
		{"group with a dot", topic, []microevents.ConsumeOption{microevents.WithGroup("a.b")}, events.ErrInvalid},
		{"auto ack", topic, []microevents.ConsumeOption{microevents.WithGroup("g"), microevents.WithAutoAck(true, time.Second)}, events.ErrInvalid},
		{"retry limit -2", topic, []microevents.ConsumeOption{microevents.WithGroup("g"), microevents.WithRetryLimit(-2)}, events.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Consume(tt.topic, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("Consume = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeduplicatesByID(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	publish(t, s, "e-1", []byte("first"))
	publish(t, s, "e-1", []byte("republished")) // as a relay after a crash
	publish(t, s, "e-2", []byte("second"))

	js := jsClient(t, srv.URL())
	if n := streamMsgs(t, js, events.StreamName); n != 2 {
		t.Errorf("the stream holds %d events, want 2", n)
	}
	ch := consume(t, s, "dedupe")
	for _, want := range []string{"first", "second"} {
		e := receive(t, ch)
		if string(e.Payload) != want {
			t.Errorf("payload %q, want %q", e.Payload, want)
		}
		ack(t, e)
	}
	none(t, ch, 200*time.Millisecond)
}

func TestNackRedeliversAfterBackoff(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	const backoff = 500 * time.Millisecond
	s := connect(t, srv.URL(), func(c *events.Config) { c.Backoff = []time.Duration{backoff} })
	ch := consume(t, s, "nack")
	publish(t, s, "e-1", []byte("x"))

	e := receive(t, ch)
	nacked := time.Now()
	if err := events.Fail(&e, errors.New("smtp down")); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	e = receive(t, ch)
	if waited := time.Since(nacked); waited < backoff {
		t.Errorf("redelivered after %s, want at least the backoff %s", waited, backoff)
	}
	if e.ID != "e-1" || e.Metadata[events.MetadataDeliveries] != "2" {
		t.Errorf("redelivered %s as delivery %s, want e-1 as delivery 2", e.ID, e.Metadata[events.MetadataDeliveries])
	}
	ack(t, e)
	none(t, ch, backoff+200*time.Millisecond)
}

func TestRetryLimitParks(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	ch := consume(t, s, "limit", microevents.WithRetryLimit(2), microevents.WithAutoAck(false, time.Second))
	publish(t, s, "e-1", []byte("poison"), microevents.WithMetadata(map[string]string{"Trace-Id": "t-1"}))

	for delivery := 1; delivery <= 3; delivery++ {
		e := receive(t, ch)
		if got := e.Metadata[events.MetadataDeliveries]; got != fmt.Sprint(delivery) {
			t.Fatalf("delivery %s, want %d", got, delivery)
		}
		if err := events.Fail(&e, fmt.Errorf("attempt %d failed", delivery)); err != nil {
			t.Fatalf("Fail: %v", err)
		}
	}
	// Parked: not delivered again, even after the ack wait.
	none(t, ch, 1500*time.Millisecond)

	js := jsClient(t, srv.URL())
	dead := deadLetter(t, js)
	wantHeaders := map[string]string{
		events.HeaderDeadSubject:    topic,
		events.HeaderDeadEventID:    "e-1",
		events.HeaderDeadGroup:      "limit",
		events.HeaderDeadDeliveries: "3",
		events.HeaderDeadReason:     "failed 3 deliveries, the last with: attempt 3 failed",
		"Trace-Id":                  "t-1",
	}
	for k, want := range wantHeaders {
		if got := dead.Header.Get(k); got != want {
			t.Errorf("dead letter header %s = %q, want %q", k, got, want)
		}
	}
	if string(dead.Data) != "poison" {
		t.Errorf("dead letter payload %q, want the event's", dead.Data)
	}
	if info := consumerInfo(t, js, "limit"); info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("consumer: %d pending acks, %d pending events; want none", info.NumAckPending, info.NumPending)
	}
}

func TestParkAtOnce(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	ch := consume(t, s, "park", microevents.WithAutoAck(false, time.Second))
	publish(t, s, "e-1", []byte("version 9"))
	publish(t, s, "e-2", []byte("fine"))

	e := receive(t, ch)
	if err := events.Park(&e, "unknown event version: version 9, want 1"); err != nil {
		t.Fatalf("Park: %v", err)
	}
	if err := e.Ack(); !errors.Is(err, events.ErrSettled) {
		t.Errorf("Ack after Park = %v, want ErrSettled", err)
	}
	// Handling goes on.
	if e := receive(t, ch); e.ID != "e-2" {
		t.Errorf("next event %s, want e-2", e.ID)
	} else {
		ack(t, e)
	}
	none(t, ch, 1500*time.Millisecond)

	dead := deadLetter(t, jsClient(t, srv.URL()))
	if got, want := dead.Header.Get(events.HeaderDeadReason), "unknown event version: version 9, want 1"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	if got := dead.Header.Get(events.HeaderDeadDeliveries); got != "1" {
		t.Errorf("deliveries %q, want 1", got)
	}
}

// A handler that never settles an event (it crashes or hangs on it) gets it
// again after each ack wait, until the delivery past the limit is parked.
func TestUnsettledEventIsParkedPastTheLimit(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	ch := consume(t, s, "crash", microevents.WithRetryLimit(1), microevents.WithAutoAck(false, 500*time.Millisecond))
	publish(t, s, "e-1", []byte("crashes the handler"))

	receive(t, ch) // and never settled
	receive(t, ch) // again, after the ack wait
	none(t, ch, 1500*time.Millisecond)
	dead := deadLetter(t, jsClient(t, srv.URL()))
	if got := dead.Header.Get(events.HeaderDeadReason); !strings.Contains(got, "past the limit of 2") {
		t.Errorf("reason %q, want one saying the delivery is past the limit", got)
	}
}

func TestGroupSharesEvents(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	const n = 60
	type got struct {
		replica int
		id      string
	}
	gotCh := make(chan got, 3*n)
	var wg sync.WaitGroup
	for replica := range 2 {
		// Each replica has its own connection, as two processes would.
		s := connect(t, srv.URL(), func(c *events.Config) { c.Buffer = 4 })
		ch := consume(t, s, "shared")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range ch {
				gotCh <- got{replica, e.ID}
				_ = e.Ack()
			}
		}()
	}
	other := consume(t, connect(t, srv.URL()), "other")
	pub := connect(t, srv.URL())
	for i := range n {
		publish(t, pub, fmt.Sprintf("e-%d", i), []byte("x"))
	}

	byID := map[string][]int{}
	perReplica := [2]int{}
	for range n {
		select {
		case g := <-gotCh:
			byID[g.id] = append(byID[g.id], g.replica)
			perReplica[g.replica]++
		case <-time.After(wait):
			t.Fatalf("%d of %d events delivered", len(byID), n)
		}
	}
	select {
	case g := <-gotCh:
		t.Errorf("event %s delivered again, to replica %d", g.id, g.replica)
	case <-time.After(500 * time.Millisecond):
	}
	for id, replicas := range byID {
		if len(replicas) != 1 {
			t.Errorf("event %s went to replicas %v, want one", id, replicas)
		}
	}
	if len(byID) != n || perReplica[0] == 0 || perReplica[1] == 0 {
		t.Errorf("%d events, %v per replica; want %d shared by both", len(byID), perReplica, n)
	}
	// Another group gets every event.
	for range n {
		ack(t, receive(t, other))
	}
}

func TestBackpressure(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL(), func(c *events.Config) { c.Buffer = 2 })
	ch := consume(t, s, "slow")
	for i := range 10 {
		publish(t, s, fmt.Sprintf("e-%d", i), []byte("x"))
	}
	js := jsClient(t, srv.URL())
	testenv.WaitFor(t, "the channel to fill", func() bool { return len(ch) == cap(ch) })
	time.Sleep(300 * time.Millisecond)
	if info := consumerInfo(t, js, "slow"); info.NumAckPending > 2 {
		t.Errorf("%d events delivered and not acked, want at most the buffer, 2", info.NumAckPending)
	}
	for i := range 10 {
		e := receive(t, ch)
		if want := fmt.Sprintf("e-%d", i); e.ID != want {
			t.Errorf("event %s, want %s", e.ID, want)
		}
		ack(t, e)
	}
}

// A broker stop or crash and restart loses nothing: publishing resumes
// once it is back (failing fast meanwhile), the event a handler held
// unacked is delivered again, and the duplicate window outlives the
// restart. After a crash (SIGKILL) the broker may also deliver again an
// event acked just before, as it had not written the ack to disk: at least
// once, never lost; the consumer's record of handled ids drops those.
func TestBrokerRestart(t *testing.T) {
	t.Parallel()
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop", true: "kill"}[crash], func(t *testing.T) {
			t.Parallel()
			srv := natstest.Start(t)
			s := connect(t, srv.URL())
			ch := consume(t, s, "restart", microevents.WithAutoAck(false, time.Second))
			publish(t, s, "e-0", []byte("x"))
			publish(t, s, "e-1", []byte("x"))
			ack(t, receive(t, ch))
			held := receive(t, ch) // not acked before the broker goes

			if crash {
				srv.Kill(t)
			} else {
				srv.Stop(t)
			}
			testenv.WaitFor(t, "the disconnect", func() bool {
				return errors.Is(s.Publish(topic, []byte("x"), events.WithID("probe")), events.ErrNotConnected)
			})
			start := time.Now()
			if err := s.Publish(topic, []byte("x"), events.WithID("e-2")); !errors.Is(err, events.ErrNotConnected) || time.Since(start) > 100*time.Millisecond {
				t.Errorf("Publish while the broker is down = %v after %s, want ErrNotConnected at once", err, time.Since(start))
			}
			if err := held.Ack(); err == nil {
				t.Errorf("Ack while the broker is down succeeded")
			}

			srv.Restart(t)
			// As an outbox relay does: publish until it succeeds.
			testenv.WaitFor(t, "a publish after the restart", func() bool {
				return s.Publish(topic, []byte("x"), events.WithID("e-2")) == nil
			})
			publish(t, s, "e-1", []byte("republished")) // deduplicated across the restart
			publish(t, s, "e-3", []byte("x"))

			seen := map[string]int{}
			for seen["e-1"] == 0 || seen["e-2"] == 0 || seen["e-3"] == 0 {
				e := receive(t, ch)
				seen[e.ID]++
				if string(e.Payload) == "republished" {
					t.Errorf("got the republished %s", e.ID)
				}
				ack(t, e)
			}
			for again := true; again; {
				select {
				case e := <-ch:
					seen[e.ID]++
					ack(t, e)
				case <-time.After(1500 * time.Millisecond):
					again = false
				}
			}
			for id, n := range seen {
				if (n > 1 || id == "e-0") && !crash {
					t.Errorf("%s delivered %d times after the restart, want e-1, e-2 and e-3 once", id, n)
				}
			}
			if n := streamMsgs(t, jsClient(t, srv.URL()), events.StreamName); n != 4 {
				t.Errorf("the stream holds %d events, want 4", n)
			}
		})
	}
}

// A service starts while the broker is down: Connect and Consume return at
// once, and events flow once the broker is up.
func TestStartWithoutBroker(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	srv.Stop(t)

	start := time.Now()
	s := connect(t, srv.URL())
	ch := consume(t, s, "early")
	if took := time.Since(start); took > time.Second {
		t.Errorf("Connect and Consume took %s without a broker, want no wait", took)
	}
	if err := s.Publish(topic, []byte("x"), events.WithID("e-1")); !errors.Is(err, events.ErrNotConnected) {
		t.Errorf("Publish without a broker = %v, want ErrNotConnected", err)
	}

	srv.Restart(t)
	testenv.WaitFor(t, "a publish once the broker is up", func() bool {
		return s.Publish(topic, []byte("x"), events.WithID("e-1")) == nil
	})
	if e := receive(t, ch); e.ID != "e-1" {
		t.Errorf("event %s, want e-1", e.ID)
	} else {
		ack(t, e)
	}
}

// TestClose is not parallel, so that it can count goroutines.
func TestClose(t *testing.T) {
	srv := natstest.Start(t)
	before := runtime.NumGoroutine()
	s, err := events.Connect(t.Context(), events.Config{URL: srv.URL(), Name: t.Name(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ch1, err := s.Consume(topic, microevents.WithGroup("a"))
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := s.Consume("shippy.test.other", microevents.WithGroup("a"))
	if err != nil {
		t.Fatal(err)
	}
	publish(t, s, "e-1", []byte("x"))
	receive(t, ch1)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, ch := range []<-chan microevents.Event{ch1, ch2} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Error("an event after Close")
			}
		case <-time.After(time.Second):
			t.Error("a channel still open after Close")
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Publish(topic, []byte("x"), events.WithID("e-2")); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Consume(topic, microevents.WithGroup("a")); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Consume after Close = %v, want ErrClosed", err)
	}
	// A pull of nats.go ends within its expiry, 5s, after Close.
	if !t.Failed() {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		for runtime.NumGoroutine() > before && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before Connect", n, before)
		}
	}
}

// A new group with an offset starts there; consuming again with another
// offset keeps the group where it is.
func TestOffset(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	s := connect(t, srv.URL())
	publish(t, s, "e-old", []byte("x"))
	time.Sleep(10 * time.Millisecond)
	from := time.Now()
	publish(t, s, "e-new", []byte("x"))

	ch := consume(t, s, "offset", microevents.WithOffset(from))
	if e := receive(t, ch); e.ID != "e-new" {
		t.Errorf("first event %s, want e-new", e.ID)
	}
	// Another Stream (a restarted replica) with an older offset: accepted,
	// and the group's place is kept (e-new is pending, not acked).
	again := consume(t, connect(t, srv.URL()), "offset", microevents.WithOffset(from.Add(-time.Hour)))
	none(t, again, 300*time.Millisecond)
}
