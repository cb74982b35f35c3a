// Package boltdbtest helps tests of stores built on boltdb.Batcher make
// concurrent changes share a commit, deterministically.
package boltdbtest

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

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
		deadline := time.Now().Add(10 * time.Second)
		for b.Queued() < n {
			if time.Now().After(deadline) {
				t.Errorf("%d changes queued after 10s, want %d", b.Queued(), n)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}
