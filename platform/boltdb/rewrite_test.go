package boltdb_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

// TestRewriteValues rewrites buckets of fewer, as many and more values
// than one walk rewrites, beside a nested bucket: each value is rewritten
// once, the nested bucket is left alone, and an error of the function
// stops the rewrite and is returned.
func TestRewriteValues(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad value")
	tests := []struct {
		name   string
		n      int
		failAt int // the index of the value the function fails on; -1 for none
	}{
		{"empty", 0, -1},
		{"one", 1, -1},
		{"one walk", 1000, -1},
		{"one more than a walk", 1001, -1},
		{"several walks", 2500, -1},
		{"fails in the second walk", 2500, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := bbolt.Open(filepath.Join(t.TempDir(), "rewrite.db"), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			key := func(i int) []byte { return fmt.Appendf(nil, "%05d", (i*7919)%tt.n) } // not in key order
			err = db.Update(func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("records"))
				if err != nil {
					return err
				}
				nested, err := b.CreateBucket([]byte("nested"))
				if err != nil {
					return err
				}
				if err := nested.Put([]byte("k"), []byte("v")); err != nil {
					return err
				}
				for i := range tt.n {
					if err := b.Put(key(i), append([]byte("old "), key(i)...)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			calls := map[string]int{}
			err = db.Update(func(tx *bbolt.Tx) error {
				return boltdb.RewriteValues(tx, []byte("records"), func(k, v []byte) ([]byte, error) {
					if calls[string(k)]++; len(calls) == tt.failAt+1 {
						return nil, errBad
					}
					if want := "old " + string(k); string(v) != want {
						return nil, fmt.Errorf("value of %q = %q, want %q", k, v, want)
					}
					return append([]byte("new "), k...), nil
				})
			})
			if tt.failAt >= 0 {
				if !errors.Is(err, errBad) || len(calls) != tt.failAt+1 {
					t.Errorf("RewriteValues = %v after %d values, want the function's error after %d", err, len(calls), tt.failAt+1)
				}
				return
			}
			if err != nil {
				t.Fatalf("RewriteValues: %v", err)
			}
			err = db.View(func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte("records"))
				for i := range tt.n {
					if got, want := string(b.Get(key(i))), "new "+string(key(i)); got != want || calls[string(key(i))] != 1 {
						t.Errorf("value of %q = %q after %d calls, want %q after 1", key(i), got, calls[string(key(i))], want)
					}
				}
				if len(calls) != tt.n {
					t.Errorf("the function ran for %d keys, want %d", len(calls), tt.n)
				}
				if got := b.Bucket([]byte("nested")).Get([]byte("k")); string(got) != "v" {
					t.Errorf("nested bucket's value = %q, want \"v\" as before", got)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRewriteValuesWithoutBucket rewrites a bucket the file does not have:
// there is nothing to rewrite, and no bucket is made.
func TestRewriteValuesWithoutBucket(t *testing.T) {
	t.Parallel()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "rewrite.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := boltdb.RewriteValues(tx, []byte("missing"), func(k, v []byte) ([]byte, error) {
			return nil, fmt.Errorf("called for %q", k)
		}); err != nil {
			return err
		}
		if tx.Bucket([]byte("missing")) != nil {
			return errors.New("the bucket was made")
		}
		return nil
	})
	if err != nil {
		t.Errorf("RewriteValues of a missing bucket: %v", err)
	}
}
