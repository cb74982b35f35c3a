package outbox

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	microevents "go-micro.dev/v5/events"

	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/testenv/natstest"
)

// A relay on a real broker: the events of a relay that published them but
// failed to mark them done (as after a crash between the two) are
// published again and dropped by the broker; the events written while the
// broker is stopped wait and are published once it is back. Every event is
// in the stream once.
func TestRelayOnBroker(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	stream, err := events.Connect(t.Context(), events.Config{URL: srv.URL(), Name: t.Name(), Logger: logger})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { stream.Close() })

	store := &fakeStore{}
	relay, err := New(store, StreamPublisher(stream), logger, prometheus.NewRegistry(),
		Config{Batch: 7, Poll: time.Hour, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f := &relayFixture{relay: relay, store: store}
	f.run(t)

	// Published, not marked done: published again, under the same ids.
	store.set(nil, errors.New("store down"))
	first := messages("before", 20, time.Now())
	store.add(first...)
	relay.Notify()
	eventually(t, "failed marks", func() bool { return testutil.ToFloat64(relay.counts.failures) >= 3 })
	store.set(nil, nil)
	eventually(t, "the first events published", func() bool { return store.len() == 0 })

	// Written while the broker is stopped: they wait.
	srv.Stop(t)
	failures := testutil.ToFloat64(relay.counts.failures)
	second := messages("during", 30, time.Now())
	store.add(second...)
	relay.Notify()
	eventually(t, "failed publishes", func() bool { return testutil.ToFloat64(relay.counts.failures) >= failures+2 })
	if got := store.len(); got != len(second) {
		t.Fatalf("%d events pending while the broker is down, want %d", got, len(second))
	}
	srv.Restart(t)
	eventually(t, "the events written during the outage published", func() bool { return store.len() == 0 })

	ch, err := stream.Consume(first[0].Subject, microevents.WithGroup("check"))
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	seen := map[string]int{}
	want := append(ids(first), ids(second)...)
	for len(seen) < len(want) {
		select {
		case e := <-ch:
			seen[e.ID]++
			if err := e.Ack(); err != nil {
				t.Fatalf("Ack: %v", err)
			}
		case <-time.After(wait):
			t.Fatalf("got %d distinct events, want %d", len(seen), len(want))
		}
	}
	select {
	case e := <-ch:
		t.Errorf("event %s delivered again", e.ID)
	case <-time.After(500 * time.Millisecond):
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("event %s delivered %d times, want once", id, seen[id])
		}
	}
}
