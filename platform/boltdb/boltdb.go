// Package boltdb is the bbolt plumbing both services' bolt stores share:
// Open, which opens a file durably with a lock timeout and a batch delay,
// and Batcher, which groups concurrent read-write transactions into shared
// commits while letting a function refuse (answer with a domain error)
// without failing the others of its commit.
//
// The package knows no domain: a store wraps its errors with its own name
// and maps bbolt's errors to its own sentinels.
package boltdb

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// OpenTimeout is how long Open waits for the lock on a file another process
// (or another open DB in this process) holds.
const OpenTimeout = time.Second

// DefaultMaxBatchDelay is how long a change that finds others under way
// waits, unless WithMaxBatchDelay says otherwise, for more to join its
// commit. It is about one commit's time on an SSD. Go's timers are coarser
// than that while the process is idle (about a millisecond), so under a
// light load the wait is longer; a lone change does not wait (see
// Batcher.Batch).
const DefaultMaxBatchDelay = 500 * time.Microsecond

// Option configures Open.
type Option func(*options)

type options struct {
	maxBatchDelay time.Duration
}

// WithMaxBatchDelay sets how long a change that finds others under way
// waits for more to join its commit (bbolt's DB.MaxBatchDelay); d must be
// positive. A longer delay groups more changes per commit under load, and
// adds up to d to their latency.
func WithMaxBatchDelay(d time.Duration) Option {
	return func(o *options) { o.maxBatchDelay = d }
}

// check returns an error for an option Open cannot use.
func (o options) check() error {
	if o.maxBatchDelay <= 0 {
		return fmt.Errorf("max batch delay %v: want a positive duration", o.maxBatchDelay)
	}
	return nil
}

// Open opens the bbolt file at path, creating it (mode 0600) when it does
// not exist; the directory must exist. Commits sync the file (NoSync stays
// false): a commit is on disk when it returns. Open fails, after
// OpenTimeout, when another process or DB holds the file, with an error
// that says so and matches bbolt's errors.ErrTimeout, and fails when an
// option is invalid. Errors do not name the path: the caller wraps them.
func Open(path string, opts ...Option) (*bbolt.DB, error) {
	o := options{maxBatchDelay: DefaultMaxBatchDelay}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	bopts := *bbolt.DefaultOptions
	bopts.Timeout = OpenTimeout
	db, err := bbolt.Open(path, 0o600, &bopts)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("file is locked by another process or store (waited %v): %w", OpenTimeout, err)
	}
	if err != nil {
		return nil, err
	}
	db.MaxBatchDelay = o.maxBatchDelay
	return db, nil
}

// Batcher runs read-write transactions on one DB, sharing commits between
// concurrent ones (see Batch). It is safe for concurrent use.
type Batcher struct {
	db *bbolt.DB
	// writers counts the calls of Batch under way.
	writers atomic.Int32
}

// NewBatcher returns a Batcher of db, which it does not own: the caller
// closes db. Its shared commits wait db.MaxBatchDelay.
func NewBatcher(db *bbolt.DB) *Batcher {
	return &Batcher{db: db}
}

// Batch runs fn in a read-write transaction and returns once that
// transaction is committed and synced, or has failed. It returns ctx's
// error, and runs nothing, when ctx is done before it starts.
//
// A call that finds no other Batch call under way runs fn in a transaction
// of its own (DB.Update), at once. Otherwise the transaction may be shared
// with the functions of concurrent calls (DB.Batch): they wait up to the
// MaxBatchDelay for one another and then run one after another, each
// seeing what the ones before it wrote, as if each were a transaction of
// its own, and one pair of fsyncs commits them all. So a lone change pays
// no delay, and concurrent ones share their commits.
//
// fn must be safe to run more than once: when another function of its
// transaction fails, bbolt rolls the transaction back and runs the others
// again in a new one, and it runs the failed one again alone. So fn sets
// every result it hands out on each run and changes nothing outside the
// transaction.
//
// An error from fn that Refuse made is the caller's answer, not a failure:
// fn has written nothing. In a shared transaction, Batch has bbolt commit
// the other functions' changes and returns the refusal after the commit,
// with no rerun; the commit holds the state the refusal was decided on.
// When the commit itself fails, Batch returns that error, refusal or not.
// In a transaction of its own, a refusal rolls back: nothing to commit.
// Any other error from fn rolls the transaction back. bbolt's errors (such
// as errors.ErrDatabaseNotOpen after Close) are returned unwrapped.
func (b *Batcher) Batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	alone := b.writers.Add(1) == 1
	defer b.writers.Add(-1)
	if alone {
		return b.db.Update(fn)
	}
	var refused error
	err := b.db.Batch(func(tx *bbolt.Tx) error {
		refused = nil // from an earlier run of fn, in a transaction rolled back
		err := fn(tx)
		if _, ok := errors.AsType[*refusal](err); ok {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refused
}

// refusal is an answer of the domain, such as vessel.ErrNoRoom, from a
// function given to Batcher.Batch that has written nothing.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// Refuse makes err, a domain answer, the result of a function given to
// Batcher.Batch without failing the transaction the function shares with
// others. Only a function that has written nothing in the transaction may
// return it (wrapped or not); errors.Is sees err through it, and its
// message is err's.
func Refuse(err error) error {
	return &refusal{err: err}
}
