package boltdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/outbox"
)

// TestOutbox puts events, reads them back in order, and marks some done,
// in transactions of a store's file.
func TestOutbox(t *testing.T) {
	t.Parallel()
	box := boltdb.Outbox{Events: []byte("outbox"), IDs: []byte("outbox_ids")}
	layout := boltdb.Layout{Name: "test store", Version: "1", Buckets: [][]byte{box.Events, box.IDs}, Unavailable: errUnavailable}
	db := boltdbtest.MustOpen(t, func(path string) (*boltdb.DB, error) { return boltdb.OpenStore(path, layout) }, boltdbtest.Path(t, "outbox.db"))
	ctx := context.Background()
	ms := []outbox.Message{
		{ID: "e-1", Subject: "shippy.test.a", Data: []byte("one"), CreatedAt: time.Date(2026, 7, 8, 9, 10, 11, 123456789, time.UTC)},
		{ID: "e-2", Subject: "shippy.test.b"},                                    // no data, the zero time
		{ID: "e-3", Subject: "shippy.test.a", CreatedAt: time.Unix(-5, 7).UTC()}, // before 1970
	}
	write := func(fn func(*bbolt.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	check := func(want []outbox.Message, what string) {
		t.Helper()
		err := db.View(ctx, func(tx *bbolt.Tx) error {
			got, err := box.Pending(tx, 10)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: Pending (-want +got):\n%s", what, diff)
			}
			if n := box.Count(tx); n != len(want) {
				t.Errorf("%s: Count = %d, want %d", what, n, len(want))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: View: %v", what, err)
		}
	}
	check(nil, "empty")
	write(func(tx *bbolt.Tx) error {
		for _, m := range ms {
			if err := box.Put(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	check(ms, "after Put")
	if err := db.Update(ctx, func(tx *bbolt.Tx) error { return box.Put(tx, ms[0]) }); err == nil {
		t.Errorf("Put of an id in the outbox = nil, want an error")
	}
	write(func(tx *bbolt.Tx) error { return box.Done(tx, []string{"e-2", "no-such-event"}) })
	check([]outbox.Message{ms[0], ms[2]}, "after Done")
	// The same through the outbox.Store of the file, each call a
	// transaction.
	store := box.Store(db)
	if got, err := store.Pending(ctx, 10); err != nil || !cmp.Equal(got, []outbox.Message{ms[0], ms[2]}) {
		t.Errorf("Store.Pending = %v, %v; want %v", got, err, []outbox.Message{ms[0], ms[2]})
	}
	if err := store.Done(ctx, []string{"e-1", "e-2", "e-3"}); err != nil {
		t.Fatalf("Store.Done = %v, want nil", err)
	}
	if n, err := store.Count(ctx); n != 0 || err != nil {
		t.Errorf("Store.Count = %d, %v; want 0", n, err)
	}
	check(nil, "after Done of all")
}
