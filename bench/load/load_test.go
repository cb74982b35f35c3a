package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median of even count is the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v): got %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"valid", Options{Concurrency: 32, Duration: time.Second}, false},
		{"valid with timeout", Options{Concurrency: 1, Duration: time.Second, Timeout: time.Second}, false},
		{"no callers", Options{Concurrency: 0, Duration: time.Second}, true},
		{"no duration", Options{Concurrency: 1}, true},
		{"negative timeout", Options{Concurrency: 1, Duration: time.Second, Timeout: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.opts.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate(%+v): got %v, want error %v", tt.opts, err, tt.wantErr)
			}
		})
	}
}

func TestRunCountsCallsAndErrors(t *testing.T) {
	t.Parallel()
	const concurrency = 4
	var mu sync.Mutex
	seen := make(map[[2]int]bool)
	call := func(ctx context.Context, worker, seq int) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		mu.Lock()
		dup := seen[[2]int{worker, seq}]
		seen[[2]int{worker, seq}] = true
		mu.Unlock()
		if dup {
			t.Errorf("call (%d, %d) made twice", worker, seq)
		}
		time.Sleep(time.Millisecond)
		if seq%4 == 3 {
			return fmt.Errorf("failure %d", seq%8) // two kinds: 3 and 7
		}
		return nil
	}
	opts := Options{Concurrency: concurrency, Duration: 100 * time.Millisecond, Timeout: time.Second}
	got, err := Run(context.Background(), opts, call)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Calls+got.Errors != len(seen) {
		t.Errorf("calls %d + errors %d: want the %d calls made", got.Calls, got.Errors, len(seen))
	}
	if got.Calls == 0 || got.Errors == 0 {
		t.Fatalf("got %d calls and %d errors, want some of each", got.Calls, got.Errors)
	}
	if sum := got.ErrorKinds["failure 3"] + got.ErrorKinds["failure 7"]; sum != got.Errors || len(got.ErrorKinds) != 2 {
		t.Errorf("error kinds: got %v, want failure 3 and failure 7 adding up to %d", got.ErrorKinds, got.Errors)
	}
	if got.P50 < time.Millisecond || got.P50 > got.P99 || got.P99 > got.Max {
		t.Errorf("latencies: got p50 %v p99 %v max %v, want 1ms <= p50 <= p99 <= max", got.P50, got.P99, got.Max)
	}
	if got.Elapsed < opts.Duration || got.Elapsed > opts.Duration+time.Second {
		t.Errorf("elapsed: got %v, want between %v and a second more", got.Elapsed, opts.Duration)
	}
	if got.PerSecond() <= 0 {
		t.Errorf("PerSecond: got %v, want positive", got.PerSecond())
	}
}

func TestRunKeepsFewErrorKinds(t *testing.T) {
	t.Parallel()
	call := func(_ context.Context, worker, seq int) error {
		return fmt.Errorf("error %d/%d", worker, seq)
	}
	got, err := Run(context.Background(), Options{Concurrency: 2, Duration: 20 * time.Millisecond}, call)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Calls != 0 || got.Errors == 0 {
		t.Fatalf("got %d calls and %d errors, want only errors", got.Calls, got.Errors)
	}
	if len(got.ErrorKinds) > maxErrorKinds {
		t.Errorf("kept %d error kinds, want at most %d", len(got.ErrorKinds), maxErrorKinds)
	}
	if got.P50 != 0 || got.Max != 0 {
		t.Errorf("latencies without a successful call: got p50 %v max %v, want 0", got.P50, got.Max)
	}
}

func TestRunStopsWhenContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	call := func(ctx context.Context, _, _ int) error {
		<-ctx.Done()
		return ctx.Err()
	}
	start := time.Now()
	_, err := Run(ctx, Options{Concurrency: 3, Duration: time.Minute}, call)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run: got error %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Run took %v after its context was done", took)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Parallel()
	if _, err := Run(context.Background(), Options{Concurrency: 1, Duration: time.Second}, nil); err == nil {
		t.Error("Run with a nil call: got no error")
	}
	noop := func(context.Context, int, int) error { return nil }
	if _, err := Run(context.Background(), Options{}, noop); err == nil {
		t.Error("Run with zero options: got no error")
	}
}

func TestErrorSummary(t *testing.T) {
	t.Parallel()
	r := Result{ErrorKinds: map[string]int{"b": 1, "a": 1, "timeout": 5}}
	if got, want := r.ErrorSummary(), "5× timeout; 1× a; 1× b"; got != want {
		t.Errorf("ErrorSummary: got %q, want %q", got, want)
	}
	if got := (Result{}).ErrorSummary(); got != "" {
		t.Errorf("ErrorSummary without errors: got %q, want empty", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	run := func(latency time.Duration, fail bool) Result {
		t.Helper()
		call := func(context.Context, int, int) error {
			time.Sleep(latency)
			if fail {
				return errors.New("failed")
			}
			return nil
		}
		r, err := Run(context.Background(), Options{Concurrency: 2, Duration: 50 * time.Millisecond}, call)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	fast, slow, failing := run(time.Millisecond, false), run(10*time.Millisecond, false), run(time.Millisecond, true)
	got := Merge(fast, slow, failing)
	if want := fast.Calls + slow.Calls; got.Calls != want {
		t.Errorf("Calls: got %d, want %d", got.Calls, want)
	}
	if got.Errors != failing.Errors || got.ErrorKinds["failed"] != failing.Errors {
		t.Errorf("Errors: got %d (%v), want %d", got.Errors, got.ErrorKinds, failing.Errors)
	}
	if want := fast.Elapsed + slow.Elapsed + failing.Elapsed; got.Elapsed != want {
		t.Errorf("Elapsed: got %v, want %v", got.Elapsed, want)
	}
	// Most calls are fast ones, so the median is fast and p99 slow.
	if got.P50 > fast.P99 || got.P99 < slow.P50 || got.Max != max(fast.Max, slow.Max) {
		t.Errorf("percentiles: got p50 %v p99 %v max %v from fast %+v and slow %+v", got.P50, got.P99, got.Max, fast, slow)
	}
	if one := Merge(fast); one.Calls != fast.Calls || one.P50 != fast.P50 || one.P99 != fast.P99 {
		t.Errorf("Merge of one: got %+v, want %+v", one, fast)
	}
}
