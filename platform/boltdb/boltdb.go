// Package boltdb is the bbolt plumbing every service's embedded store
// shares: OpenStore opens a store's file with its buckets and schema
// version, and the DB it returns runs read-only transactions and
// group-committed read-write ones (Batcher), in which a function may
// refuse, answering with a domain error, without failing the others of its
// commit. See docs/embedded-store.md and docs/group-commit.md.
//
// The package knows no domain: a store gives its name, buckets and
// ErrUnavailable in its Layout, and maps bbolt's other errors itself.
package boltdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// OpenTimeout is how long Open waits for the lock on a file another process
// (or another open DB in this process) holds.
const OpenTimeout = time.Second

// Open opens the bbolt file at path, creating it (mode 0600) when it does
// not exist; the directory must exist. Commits sync the file (NoSync stays
// false): a commit is on disk when it returns. Open fails, after
// OpenTimeout, when another process or DB holds the file, with an error
// that says so and matches bbolt's errors.ErrTimeout. Errors do not name
// the path: the caller wraps them.
func Open(path string) (*bbolt.DB, error) {
	opts := *bbolt.DefaultOptions
	opts.Timeout = OpenTimeout
	db, err := bbolt.Open(path, 0o600, &opts)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("file is locked by another process or store (waited %v): %w", OpenTimeout, err)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// Batcher runs read-write transactions on one DB, sharing commits between
// concurrent ones (see Batch): a group commit with no timer, where a lone
// change commits at once and the changes that arrive during a commit share
// the next. See docs/group-commit.md. It is safe for concurrent use.
type Batcher struct {
	db *bbolt.DB

	mu sync.Mutex
	// queue holds the changes waiting for the next commit.
	queue []*change
	// committing is true while some Batch call commits the queue: it, and
	// only it, takes the queue next.
	committing bool
}

// change is one call of Batch: its function and, once its commit is done,
// its result.
type change struct {
	fn  func(*bbolt.Tx) error
	err error
	// wake receives false once err is set, or true when the call must
	// commit the queue (its own change is in it).
	wake chan bool
}

// NewBatcher returns a Batcher of db, which it does not own: the caller
// closes db.
func NewBatcher(db *bbolt.DB) *Batcher {
	return &Batcher{db: db}
}

// Queued returns how many changes wait for the next commit, not counting
// those of the commit under way.
func (b *Batcher) Queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// Batch runs fn in a read-write transaction, which it may share with the
// functions of concurrent calls (each sees what the ones before it wrote),
// and returns once the transaction is committed and synced, or has failed.
// It returns ctx's error, and runs nothing, when ctx is done before it
// starts; once queued, a change runs to its end.
//
// fn may run more than once (when another function of its transaction
// fails): it must set every result it hands out on each run and change
// nothing outside the transaction. A function that fails or panics is not
// run again; its error is its caller's answer. An error made by Refuse is
// an answer, not a failure: the others' changes commit, and it is returned
// after the commit. When the commit fails, every call of it returns that
// error. bbolt's errors (ErrDatabaseNotOpen after Close) are returned
// unwrapped. See docs/group-commit.md.
func (b *Batcher) Batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &change{fn: fn, wake: make(chan bool, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := !b.committing
	b.committing = true
	b.mu.Unlock()

	if !lead && !<-c.wake {
		return c.err
	}
	b.mu.Lock()
	changes := b.queue
	b.queue = nil
	b.mu.Unlock()

	b.commit(changes)

	b.mu.Lock()
	var next *change
	if len(b.queue) > 0 {
		next = b.queue[0] // it commits the queue, its own change with it
	} else {
		b.committing = false
	}
	b.mu.Unlock()
	if next != nil {
		next.wake <- true
	}
	for _, other := range changes {
		if other != c {
			other.wake <- false
		}
	}
	return c.err
}

// commit runs the functions of changes in one read-write transaction and
// commits it, setting each change's err. A function that fails (not a
// refusal) rolls the transaction back: it keeps its error and the others
// run again, without it, in a new transaction. A panic in bbolt itself
// fails the changes not settled yet, rather than leave the Batcher to
// wait forever for a commit that will not end.
func (b *Batcher) commit(changes []*change) {
	defer func() {
		if r := recover(); r != nil {
			for _, c := range changes {
				c.err = fmt.Errorf("commit panicked: %v", r)
			}
		}
	}()
	for len(changes) > 0 {
		failed := -1
		err := b.db.Update(func(tx *bbolt.Tx) error {
			wrote := false
			for i, c := range changes {
				c.err = run(c.fn, tx)
				if c.err == nil {
					wrote = true
					continue
				}
				if _, ok := errors.AsType[*refusal](c.err); !ok {
					failed = i
					return c.err
				}
			}
			if !wrote {
				return errAllRefused // nothing to commit: roll back, no fsync
			}
			return nil
		})
		if failed < 0 {
			if err != nil && !errors.Is(err, errAllRefused) {
				for _, c := range changes {
					c.err = err // the commit failed, or the transaction could not begin
				}
			}
			return
		}
		changes = append(changes[:failed:failed], changes[failed+1:]...)
	}
}

// errAllRefused rolls back a transaction in which every function refused:
// they wrote nothing, so there is nothing to commit.
var errAllRefused = errors.New("every change refused")

// run calls fn with tx, turning a panic into an error: the panic of one
// function must not leave the others of its transaction waiting forever.
func run(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("transaction function panicked: %v", r)
		}
	}()
	return fn(tx)
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
