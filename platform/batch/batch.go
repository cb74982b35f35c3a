// Package batch sends items in batches, one batch in flight at a time: the
// items that arrive while a batch is in flight go together in the next, up
// to a maximum per batch. There is no timer: an item that finds nothing in
// flight goes at once, alone, and under load each batch carries what
// arrived during the one before. It is how the consignment service shares
// its calls to the vessel service between concurrent creates (see
// docs/crash-safe-create.md); boltdb.Batcher is the same idea for commits.
package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrClosed is the error of Do on a closed Queue.
var ErrClosed = errors.New("batch queue closed")

// Send sends one batch: it returns one result per item, in the items'
// order, or an error that is every item's. A Queue calls it from its own
// goroutine, one call at a time; it must return soon after ctx ends, and
// must not keep items after it returns. ctx ends when the queue is closed,
// and carries the values (such as the trace) of the first caller of Do in
// the batch, so that the batch's call shows in that caller's trace.
type Send[T, R any] func(ctx context.Context, items []T) ([]R, error)

// Queue batches items of type T for a Send that answers each with an R. It
// is safe for concurrent use. A goroutine runs only while items are
// queued or in flight.
type Queue[T, R any] struct {
	send   Send[T, R]
	max    int
	ctx    context.Context // of every send; canceled by Close
	cancel context.CancelFunc

	mu sync.Mutex
	// items and waiters are the queue: waiters[i] waits for items[i], or
	// is nil for an item given to Add.
	items   []T
	waiters []*waiter[R]
	// spareItems and spareWaiters are the slices of the last batch, for
	// the queue to reuse.
	spareItems   []T
	spareWaiters []*waiter[R]
	running      bool          // the sender goroutine runs
	closed       bool          // Close was called: nothing more is queued
	stopped      chan struct{} // closed when the sender stops, once Close waits for it
}

// waiter is a caller of Do waiting for its item's result.
type waiter[R any] struct {
	ctx    context.Context // the caller's, for its values
	result R
	err    error
	done   chan struct{} // closed once result and err are set
	gone   atomic.Bool   // the caller returned first: its item need not be sent
}

// New returns a Queue that sends at most max items at a time with send.
func New[T, R any](max int, send Send[T, R]) (*Queue[T, R], error) {
	switch {
	case max < 1:
		return nil, fmt.Errorf("new batch queue: max %d, want at least 1", max)
	case send == nil:
		return nil, errors.New("new batch queue: nil send")
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue[T, R]{send: send, max: max, ctx: ctx, cancel: cancel}, nil
}

// Do queues item and returns its result once its batch is sent: the
// result Send gave it, or Send's error. It returns ctx's error as soon as
// ctx ends, whether its item was sent or not (an item whose caller has
// gone before its batch left is not sent), and ErrClosed after Close.
func (q *Queue[T, R]) Do(ctx context.Context, item T) (R, error) {
	var zero R
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	w := &waiter[R]{ctx: ctx, done: make(chan struct{})}
	if !q.enqueue(item, w) {
		return zero, ErrClosed
	}
	select {
	case <-w.done:
		return w.result, w.err
	case <-ctx.Done():
		w.gone.Store(true)
		return zero, ctx.Err()
	}
}

// Add queues item without waiting for it to be sent; Send's result and
// error for it are dropped (Send reports its failures itself). It reports
// false, and queues nothing, after Close.
func (q *Queue[T, R]) Add(item T) bool {
	return q.enqueue(item, nil)
}

// Queued returns how many items wait for a batch, not counting those in
// flight.
func (q *Queue[T, R]) Queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Close stops the queue taking items and waits until those queued are
// sent. When ctx ends first, it cancels the send in flight (the items
// still queued then fail at once) and returns an error that matches
// ctx's. Calls after the first return nil once the queue is empty.
func (q *Queue[T, R]) Close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	if !q.running {
		q.mu.Unlock()
		q.cancel()
		return nil
	}
	if q.stopped == nil {
		q.stopped = make(chan struct{})
	}
	stopped := q.stopped
	q.mu.Unlock()

	select {
	case <-stopped:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-stopped
		return fmt.Errorf("close batch queue: items left unsent: %w", ctx.Err())
	}
}

// enqueue queues item for w (nil for Add), starting the sender when none
// runs. It reports false after Close.
func (q *Queue[T, R]) enqueue(item T, w *waiter[R]) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, item)
	q.waiters = append(q.waiters, w)
	if !q.running {
		q.running = true
		go q.run()
	}
	return true
}

// run sends batches until the queue is empty.
func (q *Queue[T, R]) run() {
	for {
		items, waiters, ok := q.take()
		if !ok {
			return
		}
		if len(items) > 0 {
			results, err := q.sendSafely(q.sendContext(waiters), items)
			if err == nil && len(results) != len(items) {
				err = fmt.Errorf("batch send returned %d results for %d items", len(results), len(items))
			}
			for i, w := range waiters {
				if w == nil {
					continue
				}
				if err != nil {
					w.err = err
				} else {
					w.result = results[i]
				}
				close(w.done)
			}
		}
		q.recycle(items, waiters)
	}
}

// take removes the next batch, up to max items, from the queue, leaving
// out the items of callers that have gone. It reports false, and marks
// the sender stopped, when the queue is empty.
func (q *Queue[T, R]) take() ([]T, []*waiter[R], bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		q.running = false
		if q.stopped != nil {
			close(q.stopped)
		}
		return nil, nil, false
	}
	n := min(len(q.items), q.max)
	items, waiters := q.items[:n:n], q.waiters[:n:n]
	if rest := len(q.items) - n; rest > 0 {
		q.items = append(make([]T, 0, rest), q.items[n:]...)
		q.waiters = append(make([]*waiter[R], 0, rest), q.waiters[n:]...)
	} else {
		q.items, q.waiters = q.spareItems, q.spareWaiters
		q.spareItems, q.spareWaiters = nil, nil
	}

	kept := 0
	for i, w := range waiters {
		if w != nil && w.gone.Load() {
			continue
		}
		items[kept], waiters[kept] = items[i], w
		kept++
	}
	clear(items[kept:])
	clear(waiters[kept:])
	return items[:kept], waiters[:kept], true
}

// recycle keeps the slices of a batch that was sent, emptied, for the
// queue to reuse.
func (q *Queue[T, R]) recycle(items []T, waiters []*waiter[R]) {
	clear(items)
	clear(waiters)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.spareItems, q.spareWaiters = items[:0], waiters[:0]
}

// sendSafely calls send, turning a panic into every item's error: a
// failing send must not leave its callers waiting forever, nor stop the
// process.
func (q *Queue[T, R]) sendSafely(ctx context.Context, items []T) (results []R, err error) {
	defer func() {
		if r := recover(); r != nil {
			results, err = nil, fmt.Errorf("batch send panicked: %v", r)
		}
	}()
	return q.send(ctx, items)
}

// sendContext returns the context of a batch's send: the queue's, with the
// values of the first waiter's context.
func (q *Queue[T, R]) sendContext(waiters []*waiter[R]) context.Context {
	for _, w := range waiters {
		if w != nil {
			return valuesOf{Context: q.ctx, values: w.ctx}
		}
	}
	return q.ctx
}

// valuesOf is a Context that ends as its embedded one does and has the
// values of another.
type valuesOf struct {
	context.Context
	values context.Context
}

func (c valuesOf) Value(key any) any { return c.values.Value(key) }
