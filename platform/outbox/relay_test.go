package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// wait bounds how long a test waits for what should happen.
const wait = 10 * time.Second

// fakeStore is an outbox in memory whose calls can be made to fail.
type fakeStore struct {
	mu       sync.Mutex
	msgs     []Message
	maxLimit int        // the largest limit Pending was given
	failRead error      // Pending and Count fail with it when not nil
	failDone error      // Done fails with it when not nil
	dones    [][]string // the ids of each successful Done
}

func (s *fakeStore) add(ms ...Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, ms...)
}

func (s *fakeStore) set(read, done error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRead, s.failDone = read, done
}

func (s *fakeStore) Pending(_ context.Context, limit int) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxLimit = max(s.maxLimit, limit)
	if s.failRead != nil {
		return nil, s.failRead
	}
	return slices.Clone(s.msgs[:min(limit, len(s.msgs))]), nil
}

func (s *fakeStore) Done(_ context.Context, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDone != nil {
		return s.failDone
	}
	s.dones = append(s.dones, slices.Clone(ids))
	s.msgs = slices.DeleteFunc(s.msgs, func(m Message) bool { return slices.Contains(ids, m.ID) })
	return nil
}

func (s *fakeStore) Count(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failRead != nil {
		return 0, s.failRead
	}
	return len(s.msgs), nil
}

func (s *fakeStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// fakePublisher records the ids it published, and fails while fail is set.
type fakePublisher struct {
	mu   sync.Mutex
	ids  []string
	fail error
}

func (p *fakePublisher) Publish(ctx context.Context, m Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.ids = append(p.ids, m.ID)
	return nil
}

func (p *fakePublisher) setFail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

func (p *fakePublisher) published() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ids)
}

// syncBuffer is a log destination safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// messages returns n messages with ids prefix-0 ... prefix-(n-1), made
// a second apart, the first one at t.
func messages(prefix string, n int, t time.Time) []Message {
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = Message{ID: fmt.Sprintf("%s-%d", prefix, i), Subject: "shippy.test.happened", Data: []byte{byte(i)}, CreatedAt: t.Add(time.Duration(i) * time.Second)}
	}
	return ms
}

func ids(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// relayFixture is a Relay over fakes, with its log and metrics.
type relayFixture struct {
	relay *Relay
	store *fakeStore
	pub   *fakePublisher
	log   *syncBuffer
	reg   *prometheus.Registry
}

// newRelay returns a relay over fakes with fast timings, edited by edit.
func newRelay(t *testing.T, edit func(*Config)) *relayFixture {
	t.Helper()
	f := &relayFixture{store: &fakeStore{}, pub: &fakePublisher{}, log: &syncBuffer{}, reg: prometheus.NewRegistry()}
	cfg := Config{Service: "test", Batch: 10, Poll: time.Hour, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	r, err := New(f.store, f.pub, slog.New(slog.NewTextHandler(f.log, nil)), f.reg, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.relay = r
	return f
}

// run runs the relay until the test ends, and waits for Run to return.
func (f *relayFixture) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.relay.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(wait):
			t.Errorf("Run did not return after its context ended")
		}
	})
	t.Cleanup(stop)
	return stop
}

// eventually fails the test when cond is not true within wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", wait, what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRelayPublishesInOrder(t *testing.T) {
	t.Parallel()
	f := newRelay(t, nil)
	ms := messages("m", 35, time.Now())
	f.store.add(ms...)
	f.run(t)
	eventually(t, "every message published", func() bool { return f.store.len() == 0 })
	if got, want := f.pub.published(), ids(ms); !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	if got, want := f.store.maxLimit, 10; got != want {
		t.Errorf("Pending's largest limit = %d, want Batch, %d", got, want)
	}
	if got := testutil.ToFloat64(f.relay.counts.published); got != 35 {
		t.Errorf("shippy_outbox_published_total = %v, want 35", got)
	}
	eventually(t, "backlog cleared logged", func() bool { return strings.Contains(f.log.String(), "backlog cleared") })
	if got := f.log.String(); !strings.Contains(got, "events left from before") || !strings.Contains(got, "published=35") {
		t.Errorf("log = %q, want the backlog found at start and 35 published", got)
	}
}

func TestRelayNotify(t *testing.T) {
	t.Parallel()
	f := newRelay(t, nil) // polls once an hour
	f.run(t)
	// Let the first round find nothing and start waiting.
	eventually(t, "first read", func() bool { f.store.mu.Lock(); defer f.store.mu.Unlock(); return f.store.maxLimit > 0 })
	for i, m := range messages("n", 3, time.Now()) {
		f.store.add(m)
		f.relay.Notify()
		eventually(t, fmt.Sprintf("message %d published after Notify", i), func() bool { return f.store.len() == 0 })
	}
	if got, want := len(f.pub.published()), 3; got != want {
		t.Errorf("published %d, want %d", got, want)
	}
}

func TestRelayFailures(t *testing.T) {
	brokerDown := errors.New("broker down")
	tests := []struct {
		name string
		// fail makes the relay fail; heal undoes it.
		fail, heal func(f *relayFixture)
		// republished: whether the messages published before the
		// failure are published again.
		republished bool
	}{
		{
			name: "publish",
			fail: func(f *relayFixture) { f.pub.setFail(brokerDown) },
			heal: func(f *relayFixture) { f.pub.setFail(nil) },
		},
		{
			name: "read",
			fail: func(f *relayFixture) { f.store.set(brokerDown, nil) },
			heal: func(f *relayFixture) { f.store.set(nil, nil) },
		},
		{
			name:        "done",
			fail:        func(f *relayFixture) { f.store.set(nil, brokerDown) },
			heal:        func(f *relayFixture) { f.store.set(nil, nil) },
			republished: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRelay(t, nil)
			tt.fail(f)
			ms := messages("f", 25, time.Now().Add(-time.Minute))
			f.store.add(ms...)
			f.run(t)
			eventually(t, "several failed rounds", func() bool { return testutil.ToFloat64(f.relay.counts.failures) >= 5 })
			if got := testutil.ToFloat64(f.relay.counts.pending); got != 25 && tt.name != "read" {
				t.Errorf("shippy_outbox_pending_messages = %v, want 25", got)
			}
			if got := f.relay.oldestAge(); tt.name != "read" && got < 60 {
				t.Errorf("oldest pending age = %vs, want at least 60", got)
			}
			tt.heal(f)
			eventually(t, "every message published", func() bool { return f.store.len() == 0 })
			eventually(t, "backlog cleared logged", func() bool { return strings.Contains(f.log.String(), "backlog cleared") })

			got := f.pub.published()
			if !tt.republished {
				if want := ids(ms); !slices.Equal(got, want) {
					t.Errorf("published %v, want each once in order: %v", got, want)
				}
			} else if !slices.Equal(slices.Compact(slices.Sorted(slices.Values(got))), slices.Sorted(slices.Values(ids(ms)))) {
				t.Errorf("published %v, want every one of %v", got, ids(ms))
			}
			log := f.log.String()
			for _, line := range []string{"cannot relay events", "publishing again", "backlog cleared"} {
				if n := strings.Count(log, line); n != 1 {
					t.Errorf("log has %q %d times, want once:\n%s", line, n, log)
				}
			}
			if !strings.Contains(log, "broker down") {
				t.Errorf("log does not name the error:\n%s", log)
			}
			if got := testutil.ToFloat64(f.relay.counts.pending); got != 0 {
				t.Errorf("shippy_outbox_pending_messages = %v after the backlog cleared, want 0", got)
			}
			if got := f.relay.oldestAge(); got != 0 {
				t.Errorf("oldest pending age = %v after the backlog cleared, want 0", got)
			}
		})
	}
}

// blockingPublisher blocks every publish until its context ends.
type blockingPublisher struct{ started chan Message }

func (p blockingPublisher) Publish(ctx context.Context, m Message) error {
	p.started <- m
	<-ctx.Done()
	return ctx.Err()
}

func TestRelayStop(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	store.add(messages("s", 3, time.Now())...)
	pub := blockingPublisher{started: make(chan Message, 1)}
	r, err := New(store, pub, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), Config{PublishTimeout: time.Hour})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-pub.started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after its context ended")
	}
	if got, want := store.len(), 3; got != want {
		t.Errorf("%d messages pending after a publish was cut short, want %d", got, want)
	}
}

func TestRelayCountWhenFull(t *testing.T) {
	t.Parallel()
	f := newRelay(t, nil)
	f.pub.setFail(errors.New("down"))
	f.store.add(messages("c", 42, time.Now())...)
	f.run(t)
	eventually(t, "a failed round", func() bool { return testutil.ToFloat64(f.relay.counts.failures) >= 1 })
	if got := testutil.ToFloat64(f.relay.counts.pending); got != 42 {
		t.Errorf("shippy_outbox_pending_messages = %v, want 42 (counted beyond the batch)", got)
	}
	if !strings.Contains(f.log.String(), "pending=42") {
		t.Errorf("log does not give the backlog:\n%s", f.log.String())
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	r := &Relay{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{1000, time.Second},
	}
	for _, tt := range tests {
		if got := r.backoff(tt.failures); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	logger, reg := slog.New(slog.DiscardHandler), prometheus.NewRegistry()
	tests := []struct {
		name   string
		store  Store
		pub    Publisher
		logger *slog.Logger
		reg    prometheus.Registerer
		cfg    Config
	}{
		{name: "nil store", pub: &fakePublisher{}, logger: logger, reg: reg},
		{name: "nil publisher", store: &fakeStore{}, logger: logger, reg: reg},
		{name: "nil logger", store: &fakeStore{}, pub: &fakePublisher{}, reg: reg},
		{name: "nil registerer", store: &fakeStore{}, pub: &fakePublisher{}, logger: logger},
		{name: "negative batch", store: &fakeStore{}, pub: &fakePublisher{}, logger: logger, reg: reg, cfg: Config{Batch: -1}},
		{name: "max backoff below min", store: &fakeStore{}, pub: &fakePublisher{}, logger: logger, reg: reg, cfg: Config{MinBackoff: time.Second, MaxBackoff: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.store, tt.pub, tt.logger, tt.reg, tt.cfg); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	t.Run("metrics registered twice", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		for i, wantErr := range []bool{false, true} {
			_, err := New(&fakeStore{}, &fakePublisher{}, logger, reg, Config{Service: "s"})
			if (err != nil) != wantErr {
				t.Errorf("New #%d = %v, want error: %t", i+1, err, wantErr)
			}
		}
	})
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    Message
		ok   bool
	}{
		{"complete", Message{ID: "a", Subject: "shippy.x"}, true},
		{"no id", Message{Subject: "shippy.x"}, false},
		{"no subject", Message{ID: "a"}, false},
	}
	for _, tt := range tests {
		if err := tt.m.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok: %t", tt.name, err, tt.ok)
		}
	}
}
