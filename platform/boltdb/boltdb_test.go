package boltdb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

var errDomain = errors.New("domain refusal")

func openDB(t *testing.T, opts ...boltdb.Option) *bbolt.DB {
	t.Helper()
	db, err := boltdb.Open(filepath.Join(t.TempDir(), "test.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenBadBatchDelay(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			db, err := boltdb.Open(filepath.Join(t.TempDir(), "test.db"), boltdb.WithMaxBatchDelay(d))
			if err == nil {
				db.Close()
				t.Fatalf("Open with delay %v: no error, want one", d)
			}
		})
	}
}

func TestOpenSetsBatchDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []boltdb.Option
		want time.Duration
	}{
		{"default", nil, boltdb.DefaultMaxBatchDelay},
		{"option", []boltdb.Option{boltdb.WithMaxBatchDelay(7 * time.Millisecond)}, 7 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := openDB(t, tt.opts...).MaxBatchDelay; got != tt.want {
				t.Errorf("MaxBatchDelay = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBatchRefusalShared runs concurrent writes with refusals among them in
// shared commits: every write is committed, and every refusal comes back as
// its domain error.
func TestBatchRefusalShared(t *testing.T) {
	t.Parallel()
	db := openDB(t, boltdb.WithMaxBatchDelay(50*time.Millisecond))
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b := boltdb.NewBatcher(db)
	const calls = 40
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			err := b.Batch(t.Context(), func(tx *bbolt.Tx) error {
				if i%4 == 0 {
					return fmt.Errorf("call %d: %w", i, boltdb.Refuse(errDomain))
				}
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%02d", i), []byte("v"))
			})
			switch {
			case i%4 == 0 && !errors.Is(err, errDomain):
				t.Errorf("refusing call %d: error %v, want %v", i, err, errDomain)
			case i%4 != 0 && err != nil:
				t.Errorf("writing call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if err := db.View(func(tx *bbolt.Tx) error {
		for i := range calls {
			got := tx.Bucket([]byte("b")).Get(fmt.Appendf(nil, "k%02d", i))
			if want := i%4 != 0; (got != nil) != want {
				t.Errorf("key of call %d stored = %v, want %v", i, got != nil, want)
			}
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
		name string
		ctx  context.Context
		fn   func(*bbolt.Tx) error
		want error
	}{
		{"lone refusal", context.Background(), func(*bbolt.Tx) error { return boltdb.Refuse(errDomain) }, errDomain},
		{"failure", context.Background(), func(*bbolt.Tx) error { return boom }, boom},
		{"done context", canceled, func(*bbolt.Tx) error { t.Error("fn ran after ctx was done"); return nil }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := boltdb.NewBatcher(openDB(t)).Batch(tt.ctx, tt.fn)
			if !errors.Is(err, tt.want) {
				t.Errorf("Batch: error %v, want %v", err, tt.want)
			}
		})
	}
}
