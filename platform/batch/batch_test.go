package batch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/batch"
)

// sender is a Send that records its batches and answers each item n with
// n*10. While gate is set, each send waits for a value from it first, so
// that a test can keep a batch in flight.
type sender struct {
	mu      sync.Mutex
	batches [][]int
	gate    chan struct{}
	started chan struct{} // receives once per send, when set
	err     error         // every send fails with it, when set
	short   bool          // answer one result too few
	panics  bool
}

func (s *sender) send(ctx context.Context, items []int) ([]int, error) {
	s.mu.Lock()
	s.batches = append(s.batches, slices.Clone(items))
	gate, started, err, short, panics := s.gate, s.started, s.err, s.short, s.panics
	s.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch {
	case panics:
		panic("send exploded")
	case err != nil:
		return nil, err
	}
	results := make([]int, len(items))
	for i, n := range items {
		results[i] = n * 10
	}
	if short {
		results = results[1:]
	}
	return results, nil
}

func (s *sender) sent() [][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

func newQueue(t *testing.T, max int, s *sender) *batch.Queue[int, int] {
	t.Helper()
	q, err := batch.New(max, s.send)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(context.Background()); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return q
}

func TestNew(t *testing.T) {
	t.Parallel()
	send := (&sender{}).send
	tests := []struct {
		name    string
		max     int
		send    batch.Send[int, int]
		wantErr bool
	}{
		{name: "ok", max: 1, send: send},
		{name: "max 0", max: 0, send: send, wantErr: true},
		{name: "nil send", max: 10, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := batch.New(tt.max, tt.send)
			if (err != nil) != tt.wantErr || (q == nil) != tt.wantErr {
				t.Errorf("New(%d) = %v, %v; want error %v", tt.max, q, err, tt.wantErr)
			}
		})
	}
}

func TestLoneItemGoesAlone(t *testing.T) {
	t.Parallel()
	s := &sender{}
	q := newQueue(t, 10, s)
	for i := range 3 {
		got, err := q.Do(t.Context(), i)
		if err != nil || got != i*10 {
			t.Errorf("Do(%d) = %d, %v; want %d, nil", i, got, err, i*10)
		}
	}
	if want := [][]int{{0}, {1}, {2}}; !slices.EqualFunc(s.sent(), want, slices.Equal) {
		t.Errorf("batches = %v, want %v", s.sent(), want)
	}
}

// queueDuringFlight keeps a first batch (item -1) in flight, calls Do for
// items 0..n-1 meanwhile, then lets every batch go, and returns what each
// Do returned.
func queueDuringFlight(t *testing.T, q *batch.Queue[int, int], s *sender, n int) ([]int, []error) {
	t.Helper()
	s.gate, s.started = make(chan struct{}), make(chan struct{}, 100)
	first := make(chan error, 1)
	go func() { _, err := q.Do(t.Context(), -1); first <- err }()
	<-s.started
	got, errs := make([]int, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = q.Do(t.Context(), i) })
	}
	// Wait until every Do has queued: only the first batch is in flight.
	deadline := time.Now().Add(10 * time.Second)
	for q.Queued() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(s.gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Errorf("first Do = %v", err)
	}
	return got, errs
}

func TestItemsDuringFlightShareBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		max, n    int
		wantSizes []int // of the batches after the first
	}{
		{max: 1000, n: 50, wantSizes: []int{50}},
		{max: 20, n: 50, wantSizes: []int{20, 20, 10}},
		{max: 1, n: 3, wantSizes: []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d, %d items", tt.max, tt.n), func(t *testing.T) {
			t.Parallel()
			s := &sender{}
			q := newQueue(t, tt.max, s)
			got, errs := queueDuringFlight(t, q, s, tt.n)
			for i := range tt.n {
				if errs[i] != nil || got[i] != i*10 {
					t.Errorf("Do(%d) = %d, %v; want %d, nil", i, got[i], errs[i], i*10)
				}
			}
			batches := s.sent()
			var sizes []int
			seen := map[int]bool{}
			for _, b := range batches[1:] {
				sizes = append(sizes, len(b))
				for _, item := range b {
					if seen[item] {
						t.Errorf("item %d sent twice", item)
					}
					seen[item] = true
				}
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("batch sizes after the first = %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestSendFailure(t *testing.T) {
	t.Parallel()
	errDown := errors.New("down")
	tests := []struct {
		name    string
		s       *sender
		wantErr error // nil: any error
	}{
		{name: "error", s: &sender{err: errDown}, wantErr: errDown},
		{name: "panic", s: &sender{panics: true}},
		{name: "too few results", s: &sender{short: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newQueue(t, 10, tt.s)
			for i := range 2 { // the queue goes on after a failure
				_, err := q.Do(t.Context(), i)
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Do(%d) = %v, want an error (%v)", i, err, tt.wantErr)
				}
			}
		})
	}
}

func TestDoReturnsOnItsContext(t *testing.T) {
	t.Parallel()
	s := &sender{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	q := newQueue(t, 10, s)
	first := make(chan error, 1)
	go func() { _, err := q.Do(t.Context(), 1); first <- err }()
	<-s.started

	// Queued behind the batch in flight; its caller gives up.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := q.Do(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do(2) = %v, want its context's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Do(2) returned after %v, want soon after its deadline", d)
	}
	// Its caller has gone: the next batch leaves the item out.
	got := make(chan error, 1)
	go func() { _, err := q.Do(t.Context(), 3); got <- err }()
	for q.Queued() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(s.gate)
	if err := <-first; err != nil {
		t.Errorf("Do(1) = %v", err)
	}
	if err := <-got; err != nil {
		t.Errorf("Do(3) = %v", err)
	}
	if want := [][]int{{1}, {3}}; !slices.EqualFunc(s.sent(), want, slices.Equal) {
		t.Errorf("batches = %v, want %v", s.sent(), want)
	}
	if _, err := q.Do(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do with an ended context = %v, want its error", err)
	}
}

func TestCloseSendsWhatIsQueued(t *testing.T) {
	t.Parallel()
	s := &sender{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	q, err := batch.New(10, s.send)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if !q.Add(i) {
			t.Fatalf("Add(%d) = false before Close", i)
		}
	}
	<-s.started
	closed := make(chan error, 1)
	go func() { closed <- q.Close(t.Context()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close() = %v with a batch in flight, want it to wait", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(s.gate)
	if err := <-closed; err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	if q.Add(9) {
		t.Error("Add after Close = true, want false")
	}
	if _, err := q.Do(t.Context(), 9); !errors.Is(err, batch.ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
	var sent []int
	for _, b := range s.sent() {
		sent = append(sent, b...)
	}
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if err := q.Close(t.Context()); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestCloseGivesUp(t *testing.T) {
	t.Parallel()
	s := &sender{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	q, err := batch.New(1, s.send)
	if err != nil {
		t.Fatal(err)
	}
	q.Add(1)
	q.Add(2)
	<-s.started
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The send in flight waits for its context, which Close cancels; the
	// item still queued then fails at once.
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close() = %v, want its context's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close() took %v, want soon after its deadline", d)
	}
}

// TestSendCarriesFirstCallersValues checks that a send's context has the
// values of its first caller's context (its trace), but not its end.
func TestSendCarriesFirstCallersValues(t *testing.T) {
	t.Parallel()
	type key struct{}
	var got any
	var gotErr error
	q, err := batch.New(10, func(ctx context.Context, items []int) ([]int, error) {
		got, gotErr = ctx.Value(key{}), ctx.Err()
		return items, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "trace of the first caller"))
	if _, err := q.Do(ctx, 1); err != nil {
		t.Fatalf("Do() = %v", err)
	}
	cancel()
	if got != "trace of the first caller" || gotErr != nil {
		t.Errorf("send's context: value %v, err %v; want the caller's value, and no end", got, gotErr)
	}
	q.Add(2) // no caller: the queue's own context
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("send of an added item: value %v, want none", got)
	}
}
