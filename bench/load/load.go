// Package load is a closed-loop load generator: a fixed number of callers
// each make one call after another for a fixed time, and the run reports
// throughput, latency percentiles and errors.
//
// Closed loop means a caller starts its next call only when the last one has
// returned, so the offered load adapts to the system under test: at a given
// concurrency, throughput and mean latency are two views of one number
// (throughput ≈ concurrency / mean latency).
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Call makes one request. worker is the caller's index (0 to
// Concurrency-1) and seq counts that caller's calls from 0, so the pair is
// unique within a run: use it to make unique ids. A non-nil error counts
// the call as failed. ctx carries the per-call deadline.
type Call func(ctx context.Context, worker, seq int) error

// Options shape a run.
type Options struct {
	// Concurrency is the number of callers, each making one call at a time.
	Concurrency int
	// Duration is how long callers start new calls. Calls in flight when it
	// ends are waited for and counted.
	Duration time.Duration
	// Timeout bounds each call (its ctx deadline); zero means no deadline
	// beyond the run's ctx.
	Timeout time.Duration
}

// Validate reports an option that cannot work.
func (o Options) Validate() error {
	switch {
	case o.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1, got %d", o.Concurrency)
	case o.Duration <= 0:
		return fmt.Errorf("duration must be positive, got %s", o.Duration)
	case o.Timeout < 0:
		return fmt.Errorf("timeout must not be negative, got %s", o.Timeout)
	}
	return nil
}

// maxErrorKinds bounds the distinct error messages a Result keeps.
const maxErrorKinds = 5

// Result is what one run measured. Latencies are of successful calls only:
// a call that fails fast would otherwise flatter them.
type Result struct {
	// Calls is the number of calls that succeeded; Errors of those that
	// failed.
	Calls, Errors int
	// Elapsed runs from the start of the first call to the end of the last.
	Elapsed time.Duration
	// Latency percentiles and maximum of successful calls (zero when none
	// succeeded).
	P50, P90, P99, Max time.Duration
	// ErrorKinds counts failed calls by error message, for the first few
	// distinct messages.
	ErrorKinds map[string]int

	// latencies are those of the successful calls, sorted, kept so that
	// Merge can compute percentiles over several runs.
	latencies []time.Duration
}

// PerSecond is the throughput: successful calls per second of Elapsed.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// ErrorSummary lists the error kinds, most frequent first, as
// "count× message; ..." (empty when there were no errors).
func (r Result) ErrorSummary() string {
	type kind struct {
		msg string
		n   int
	}
	kinds := make([]kind, 0, len(r.ErrorKinds))
	for msg, n := range r.ErrorKinds {
		kinds = append(kinds, kind{msg, n})
	}
	sort.Slice(kinds, func(i, j int) bool {
		if kinds[i].n != kinds[j].n {
			return kinds[i].n > kinds[j].n
		}
		return kinds[i].msg < kinds[j].msg
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d× %s", k.n, k.msg)
	}
	return strings.Join(parts, "; ")
}

// worker is what one caller recorded.
type worker struct {
	latencies []time.Duration
	errors    map[string]int
	failed    int
}

// Run calls call from opts.Concurrency goroutines until opts.Duration has
// passed, waits for the calls in flight, and returns what it measured. It
// returns early, with what was measured so far and ctx's error, when ctx
// is done; calls in flight then get ctx's cancellation.
func Run(ctx context.Context, opts Options, call Call) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, fmt.Errorf("load: %w", err)
	}
	if call == nil {
		return Result{}, errors.New("load: nil call")
	}
	workers := make([]worker, opts.Concurrency)
	start := time.Now()
	stop := start.Add(opts.Duration)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { workers[i] = runWorker(ctx, opts.Timeout, stop, i, call) })
	}
	wg.Wait()
	return merge(workers, time.Since(start)), ctx.Err()
}

// runWorker is one caller: it calls until stop or until ctx is done.
func runWorker(ctx context.Context, timeout time.Duration, stop time.Time, id int, call Call) worker {
	w := worker{latencies: make([]time.Duration, 0, 1024)}
	for seq := 0; ctx.Err() == nil; seq++ {
		begin := time.Now()
		if !begin.Before(stop) {
			break
		}
		err := callOnce(ctx, timeout, id, seq, call)
		if err == nil {
			w.latencies = append(w.latencies, time.Since(begin))
			continue
		}
		w.failed++
		if w.errors == nil {
			w.errors = make(map[string]int)
		}
		if _, ok := w.errors[err.Error()]; ok || len(w.errors) < maxErrorKinds {
			w.errors[err.Error()]++
		}
	}
	return w
}

func callOnce(ctx context.Context, timeout time.Duration, id, seq int, call Call) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return call(ctx, id, seq)
}

// merge adds up the workers' records.
func merge(workers []worker, elapsed time.Duration) Result {
	r := Result{Elapsed: elapsed}
	for _, w := range workers {
		r.latencies = append(r.latencies, w.latencies...)
		r.Errors += w.failed
		r.addErrorKinds(w.errors)
	}
	slices.Sort(r.latencies)
	r.summarize()
	return r
}

// Merge combines the results of several runs of the same calls, as if they
// were one run as long as all of them together: a load measured in short
// rounds interleaved with other loads sees the same disturbances they do.
func Merge(results ...Result) Result {
	var r Result
	for _, res := range results {
		r.Elapsed += res.Elapsed
		r.Errors += res.Errors
		r.latencies = append(r.latencies, res.latencies...)
		r.addErrorKinds(res.ErrorKinds)
	}
	slices.Sort(r.latencies)
	r.summarize()
	return r
}

// addErrorKinds adds counts of error kinds, keeping at most maxErrorKinds
// kinds.
func (r *Result) addErrorKinds(kinds map[string]int) {
	for msg, n := range kinds {
		if _, ok := r.ErrorKinds[msg]; !ok && len(r.ErrorKinds) >= maxErrorKinds {
			continue
		}
		if r.ErrorKinds == nil {
			r.ErrorKinds = make(map[string]int)
		}
		r.ErrorKinds[msg] += n
	}
}

// summarize sets Calls and the percentiles from r.latencies, which must be
// sorted.
func (r *Result) summarize() {
	r.Calls = len(r.latencies)
	if r.Calls == 0 {
		return
	}
	r.P50 = Percentile(r.latencies, 50)
	r.P90 = Percentile(r.latencies, 90)
	r.P99 = Percentile(r.latencies, 99)
	r.Max = r.latencies[r.Calls-1]
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value that at least p percent of the
// values are less than or equal to. sorted must be in ascending order and
// not empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
