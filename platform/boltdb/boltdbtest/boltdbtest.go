// Package boltdbtest helps the tests of stores built on package boltdb:
// files in temporary directories, the checks every store's Open must pass,
// concurrent changes that share a commit deterministically, and
// benchmarks run by many callers.
package boltdbtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

// Path returns the path of a file named name, which does not exist, in a
// new temporary directory of tb.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), name)
}

// MustOpen opens the store at path with open, failing the test on an
// error, and closes it when the test ends.
func MustOpen[S io.Closer](tb testing.TB, open func(path string) (S, error), path string) S {
	tb.Helper()
	s, err := open(path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// Reopen opens a store on a new file with open, lets fill write to it,
// closes it, and hands check a store opened on the file again: what the
// first store acknowledged must be there. Both stores are closed when the
// test ends at the latest.
func Reopen[S io.Closer](t *testing.T, open func(path string) (S, error), fill, check func(S)) {
	t.Helper()
	path := Path(t, "reopen.db")
	first := MustOpen(t, open, path)
	fill(first)
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check(MustOpen(t, open, path))
}

// RunStoreTests checks, in subtests of t, what every store on boltdb must
// do. Its Open (open) fails soon on a file another store holds, with an
// error that says it is locked, and fails on a missing directory, on a
// file that is not a bbolt file and on a file of schema version other (the
// store's is version), with an error that names the path and says why.
// Once closed, the store answers as closed checks (every method fails with
// its domain's ErrUnavailable).
func RunStoreTests[S io.Closer](t *testing.T, open func(path string) (S, error), version, other string, closed func(*testing.T, S)) {
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		s := MustOpen(t, open, Path(t, "store.db"))
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		closed(t, s)
	})
	t.Run("locked", func(t *testing.T) {
		t.Parallel()
		path := Path(t, "store.db")
		MustOpen(t, open, path)
		start := time.Now()
		s, err := open(path)
		elapsed := time.Since(start)
		if err == nil {
			s.Close()
			t.Fatalf("second Open(%q) succeeded while the first store is open", path)
		}
		if !errors.Is(err, bolterrors.ErrTimeout) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "locked") {
			t.Errorf("second Open error = %q, want a timeout that names the path and says it is locked", err)
		}
		if limit := boltdb.OpenTimeout + 2*time.Second; elapsed > limit {
			t.Errorf("second Open took %v, want at most %v", elapsed, limit)
		}
	})
	tests := []struct {
		name string
		file func(t *testing.T) string // prepares a file and returns its path
		want string                    // in the error, besides the path
	}{
		{
			name: "missing directory",
			file: func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing", "store.db") },
			want: "no such file or directory",
		},
		{
			name: "not a bbolt file",
			file: func(t *testing.T) string {
				path := Path(t, "store.db")
				if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
					t.Fatal(err)
				}
				return path
			},
			want: "invalid database",
		},
		{
			name: "unknown schema version",
			file: func(t *testing.T) string { return schemaFile(t, other) },
			want: fmt.Sprintf("schema version %q, this program reads version %q", other, version),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.file(t)
			s, err := open(path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", path)
			}
			if got := err.Error(); !strings.Contains(got, path) || !strings.Contains(got, tt.want) {
				t.Errorf("Open error = %q, want it to name the path and contain %q", got, tt.want)
			}
		})
	}
}

// schemaFile writes a bbolt file whose meta bucket says schema version
// version, and returns its path.
func schemaFile(t *testing.T, version string) string {
	t.Helper()
	path := Path(t, "store.db")
	WriteFile(t, path, version, nil)
	return path
}

// WriteFile writes a bbolt file at path whose meta bucket says schema
// version version, with records: values by key, by bucket. It is how
// tests make files of other versions than a store writes.
func WriteFile(t *testing.T, path, version string, records map[string]map[string]string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("schema"), []byte(version)); err != nil {
			return err
		}
		for name, values := range records {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for k, v := range values {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}

// RunCallers runs op b.N times in all from callers goroutines at once
// (from exactly one when callers is 1, else from at least callers), giving
// each call a distinct number from 1.
func RunCallers(b *testing.B, callers int, op func(n uint64) error) {
	b.Helper()
	var n atomic.Uint64
	if callers == 1 {
		for b.Loop() {
			if err := op(n.Add(1)); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((callers + procs - 1) / procs)
	b.ResetTimer() // b.Loop does the same for one caller
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Hold starts a change on b, which must be idle, that keeps its read-write transaction open,
// so that changes made meanwhile queue for the next commit, and returns
// once the transaction is open. release(n) waits until n changes are
// queued (failing the test after 10 s), then lets the held change commit:
// the n queued changes then share the next commit. release returns once
// the held change is committed.
func Hold(t testing.TB, b *boltdb.Batcher) (release func(n int)) {
	t.Helper()
	open, unblock, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		err := b.Batch(t.Context(), func(*bbolt.Tx) error {
			close(open) // alone in its transaction: never run twice
			<-unblock
			return nil
		})
		if err != nil {
			t.Errorf("held change: %v", err)
		}
	}()
	<-open
	return func(n int) {
		t.Helper()
		defer func() { close(unblock); <-done }()
		waitQueued(t, b, n)
	}
}

// waitQueued waits until n changes are queued on b, failing the test after
// 10 s.
func waitQueued(t testing.TB, b *boltdb.Batcher, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Queued() < n {
		if time.Now().After(deadline) {
			t.Errorf("%d changes queued after 10s, want %d", b.Queued(), n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// FailAmong makes a change fail in the transaction it shares with n
// concurrent changes of db (change(i), for i from 0 to n-1), at least
// n/2 of them ahead of it: write writes, then its change fails, so the
// Batcher rolls the transaction back and runs the others again in a new
// one. The caller then checks that nothing of write remains, and that each
// change counts once. FailAmong returns once every change has returned;
// it fails the test when a change fails, or when the failing one returns
// anything but its error.
func FailAmong(t *testing.T, db *boltdb.DB, n int, change func(i int) error, write func(*bbolt.Tx) error) {
	t.Helper()
	errBoom := errors.New("boom")
	fail := func() {
		err := db.Update(t.Context(), func(tx *bbolt.Tx) error {
			if err := write(tx); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("Update of a failing change: error %v, want %v", err, errBoom)
		}
	}
	// Every change queues behind the held commit, and they share the next.
	release := Hold(t, db.Batcher())
	var wg sync.WaitGroup
	for i := range n {
		if i == n/2 {
			waitQueued(t, db.Batcher(), i)
			wg.Go(fail)
		}
		wg.Go(func() {
			if err := change(i); err != nil {
				t.Errorf("change %d: %v", i, err)
			}
		})
	}
	release(n + 1)
	wg.Wait()
}
