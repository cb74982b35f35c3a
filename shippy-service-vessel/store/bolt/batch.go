package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// DefaultMaxBatchDelay is how long a change that finds others under way
// waits, unless WithMaxBatchDelay says otherwise, for more to join its
// commit. It is about one commit's time on an SSD. Go's timers are coarser
// than that while the process is idle (about a millisecond), so under a
// light load the wait is longer; a lone change does not wait (see batch).
const DefaultMaxBatchDelay = 500 * time.Microsecond

// Option configures a Store at Open.
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

// batch runs fn in a read-write transaction and returns once that
// transaction is committed and synced, or has failed.
//
// A call that finds no other batch call under way runs fn in a transaction
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
// every result it hands out on each run, changes nothing outside the
// transaction, and leaves the in-memory copies this package keeps to
// transaction-scoped state (see Store.workingFleet).
//
// An error from fn that refuse made is the caller's answer, not a failure:
// fn has written nothing. In a shared transaction, batch has bbolt commit
// the other functions' changes and returns the refusal after the commit,
// with no rerun; the commit holds the state the refusal was decided on.
// When the commit itself fails, batch returns that error, refusal or not.
// In a transaction of its own, a refusal rolls back: nothing to commit.
// Any other error from fn rolls the transaction back.
func (s *Store) batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	alone := s.writers.Add(1) == 1
	defer s.writers.Add(-1)
	if alone {
		return unavailableIfClosed(s.db.Update(fn))
	}
	var refused error
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		refused = nil // from an earlier run of fn, in a transaction rolled back
		err := fn(tx)
		if _, ok := errors.AsType[*refusal](err); ok {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return unavailableIfClosed(err)
	}
	return refused
}

// refusal is an answer of the domain, such as vessel.ErrNoRoom, from a
// function given to Store.batch that has written nothing.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// refuse makes err, a domain answer, the result of a function given to
// Store.batch without failing the transaction the function shares with
// others. Only a function that has written nothing in the transaction may
// return it (wrapped or not); errors.Is sees err through it.
func refuse(err error) error {
	return &refusal{err: err}
}
