package boltdb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/testenv"
)

var errDomain = errors.New("domain refusal")

var bucket = []byte("b")

// openDB opens a fresh file with bucket b in it.
func openDB(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket(bucket)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := boltdb.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	second, err := boltdb.Open(path)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held file: no error, want one")
	}
	if !errors.Is(err, bolterrors.ErrTimeout) || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second Open: error %q, want ErrTimeout saying the file is locked", err)
	}
}

// key is the key change i writes.
func key(i int) []byte { return fmt.Appendf(nil, "k%02d", i) }

// TestBatchShared queues writes, refusals, a failure and a panic behind a
// held commit, so that they share one transaction: every write is
// committed, in one commit, and each refusal, failure and panic comes back
// to its own caller with nothing of it stored.
func TestBatchShared(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	b := boltdb.NewBatcher(db)
	boom := errors.New("boom")
	const calls = 40
	kind := func(i int) string {
		switch {
		case i == 13:
			return "failure"
		case i == 27:
			return "panic"
		case i%4 == 0:
			return "refusal"
		}
		return "write"
	}
	var (
		mu       sync.Mutex
		commitTx = map[int]bool{} // the ids of the transactions that committed writes
	)
	release := boltdbtest.Hold(t, b)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			err := b.Batch(t.Context(), func(tx *bbolt.Tx) error {
				if err := tx.Bucket(bucket).Put(key(i), []byte("v")); err != nil {
					return err
				}
				switch kind(i) {
				case "refusal":
					// Refusals write nothing: undo the write above.
					if err := tx.Bucket(bucket).Delete(key(i)); err != nil {
						return err
					}
					return fmt.Errorf("call %d: %w", i, boltdb.Refuse(errDomain))
				case "failure":
					return boom
				case "panic":
					panic("kaboom")
				}
				tx.OnCommit(func() {
					mu.Lock()
					defer mu.Unlock()
					commitTx[tx.ID()] = true
				})
				return nil
			})
			var want error
			switch kind(i) {
			case "refusal":
				want = errDomain
			case "failure":
				want = boom
			}
			switch {
			case kind(i) == "panic":
				if err == nil || !strings.Contains(err.Error(), "kaboom") {
					t.Errorf("panicking call %d: error %v, want one naming the panic", i, err)
				}
			case want == nil && err != nil:
				t.Errorf("writing call %d: %v", i, err)
			case !errors.Is(err, want):
				t.Errorf("%s call %d: error %v, want %v", kind(i), i, err, want)
			}
		})
	}
	release(calls)
	wg.Wait()

	if len(commitTx) != 1 {
		t.Errorf("writes committed in %d transactions, want 1 (the test held the commit so that they share one)", len(commitTx))
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		for i := range calls {
			got := tx.Bucket(bucket).Get(key(i))
			if want := kind(i) == "write"; (got != nil) != want {
				t.Errorf("key of %s call %d stored = %v, want %v", kind(i), i, got != nil, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBatchQueuesBehindCommit checks that changes made while a commit is
// under way wait for it, and then all commit: none is lost in the hand-over
// of the queue from one commit to the next.
func TestBatchQueuesBehindCommit(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	b := boltdb.NewBatcher(db)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := b.Batch(t.Context(), func(tx *bbolt.Tx) error {
					return tx.Bucket(bucket).Put(fmt.Appendf(nil, "%d/%d", w, i), []byte("v"))
				})
				if err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := b.Queued(); got != 0 {
		t.Errorf("Queued() after every Batch returned = %d, want 0", got)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if got := tx.Bucket(bucket).Stats().KeyN; got != writers*each {
			t.Errorf("%d keys stored, want %d", got, writers*each)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBatchErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		closed bool // the file is closed after NewBatcher, before Batch
		fn     func(*bbolt.Tx) error
		want   error
	}{
		{"lone refusal", context.Background(), false, func(*bbolt.Tx) error { return boltdb.Refuse(errDomain) }, errDomain},
		{"failure", context.Background(), false, func(*bbolt.Tx) error { return boom }, boom},
		{"done context", canceled, false, func(*bbolt.Tx) error { t.Error("fn ran after ctx was done"); return nil }, context.Canceled},
		{"closed file", context.Background(), true, func(*bbolt.Tx) error { t.Error("fn ran on a closed file"); return nil }, bolterrors.ErrDatabaseNotOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t)
			b := boltdb.NewBatcher(db)
			if tt.closed {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Batch(tt.ctx, tt.fn); !errors.Is(err, tt.want) {
				t.Errorf("Batch: error %v, want %v", err, tt.want)
			}
		})
	}
}

// TestBatchPanicInCommit makes the commit itself panic (an OnCommit hook,
// run by bbolt outside the function): the call gets an error, and the
// Batcher is not left waiting for that commit, so later changes commit.
func TestBatchPanicInCommit(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	b := boltdb.NewBatcher(db)
	err := b.Batch(t.Context(), func(tx *bbolt.Tx) error {
		tx.OnCommit(func() { panic("hook") })
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "commit panicked: hook") {
		t.Errorf("Batch with a panicking commit: error %v, want one saying the commit panicked", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- b.Batch(t.Context(), func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(key(1), []byte("v")) })
	}()
	if err := testenv.Receive(t, "Batch after the panic (the Batcher is stuck?)", done, 10*time.Second); err != nil {
		t.Errorf("Batch after the panic: %v", err)
	}
}

// TestBatchRefusalCommitsNothing checks that a change that refuses, alone
// in its transaction, rolls it back: no commit (no fsync) for nothing.
func TestBatchRefusalCommitsNothing(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	lastTx := func() int {
		t.Helper()
		id := 0
		if err := db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	before := lastTx()
	err := boltdb.NewBatcher(db).Batch(t.Context(), func(*bbolt.Tx) error { return boltdb.Refuse(errDomain) })
	if !errors.Is(err, errDomain) {
		t.Fatalf("Batch: error %v, want %v", err, errDomain)
	}
	if after := lastTx(); after != before {
		t.Errorf("a lone refusal committed a transaction: last transaction %d, was %d", after, before)
	}
}
