// Package commits measures the ceiling the embedded store puts under every
// write: how many durable bbolt commits per second this disk allows to
// concurrent writers, one transaction per write (DB.Update) and grouped
// (boltdb.Batcher, the services' stores' group commit, which coalesces the
// writes that arrive during one commit into the next transaction and its
// one pair of fsyncs).
package commits

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/platform/boltdb"
)

// Mode is how each write is committed.
type Mode int

const (
	// Update commits each write in its own read-write transaction: bbolt
	// runs one at a time, each ending in its own fsyncs.
	Update Mode = iota
	// Batch hands each write to a boltdb.Batcher, as the services' stores
	// do: writes that arrive while a commit is under way share the next.
	Batch
)

func (m Mode) String() string {
	if m == Batch {
		return "group commit"
	}
	return "DB.Update"
}

// valueSize is the size of each value written, about a stored
// consignment.
const valueSize = 300

var bucket = []byte("bench")

// Measure writes one new key per call into a fresh bbolt file in dir,
// durably (bbolt's defaults: every commit is fsynced), with opts.Concurrency
// writers for opts.Duration, committing as mode says. The file is removed
// afterwards.
func Measure(ctx context.Context, dir string, mode Mode, opts load.Options) (load.Result, error) {
	path := filepath.Join(dir, "commits-"+strconv.Itoa(int(mode))+".db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return load.Result{}, fmt.Errorf("commits: %w", err)
	}
	defer os.Remove(path)
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		return load.Result{}, fmt.Errorf("commits: %w", err)
	}
	commit := db.Update
	if mode == Batch {
		batcher := boltdb.NewBatcher(db)
		commit = func(fn func(*bolt.Tx) error) error { return batcher.Batch(ctx, fn) }
	}
	value := make([]byte, valueSize)
	res, err := load.Run(ctx, opts, func(_ context.Context, worker, seq int) error {
		key := []byte(strconv.Itoa(worker) + "/" + strconv.Itoa(seq))
		return commit(func(tx *bolt.Tx) error {
			return tx.Bucket(bucket).Put(key, value)
		})
	})
	if err != nil {
		return res, fmt.Errorf("commits: %w", err)
	}
	if res.Calls == 0 {
		return res, errors.New("commits: no write succeeded: " + res.ErrorSummary())
	}
	return res, nil
}
