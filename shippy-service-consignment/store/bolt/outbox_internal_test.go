package bolt

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt/internal/boltpb"
)

// TestOutboxEncoding checks that boltdb.Outbox reads and writes the
// boltpb.OutboxMessage encoding that files of schema 5 hold: events
// written before the outbox moved to platform/boltdb are still read.
func TestOutboxEncoding(t *testing.T) {
	t.Parallel()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignment.db"))
	ctx := context.Background()
	created := time.Date(2026, 7, 8, 9, 10, 11, 123456789, time.UTC)
	old := &boltpb.OutboxMessage{Id: "e-old", Subject: "shippy.test.booked", Data: []byte("old"), CreatedAtSeconds: created.Unix(), CreatedAtNanos: int32(created.Nanosecond())}
	m := outbox.Message{ID: "e-new", Subject: "shippy.test.booked", Data: []byte("new"), CreatedAt: created}
	var written []byte
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		// As the store of before wrote it: sequence key, both buckets.
		value, err := proto.Marshal(old)
		if err != nil {
			return err
		}
		seq, err := tx.Bucket(outboxBucket).NextSequence()
		if err != nil {
			return err
		}
		if err := tx.Bucket(outboxBucket).Put(seqKey(seq), value); err != nil {
			return err
		}
		if err := tx.Bucket(outboxIDsBucket).Put([]byte(old.Id), seqKey(seq)); err != nil {
			return err
		}
		if err := storeOutbox.Put(tx, m); err != nil {
			return err
		}
		written = append(written, tx.Bucket(outboxBucket).Get(seqKey(seq+1))...)
		return nil
	})
	if err != nil {
		t.Fatalf("write the outbox: %v", err)
	}
	var got boltpb.OutboxMessage
	if err := proto.Unmarshal(written, &got); err != nil {
		t.Fatalf("decode the event boltdb.Outbox wrote: %v", err)
	}
	want := &boltpb.OutboxMessage{Id: m.ID, Subject: m.Subject, Data: m.Data, CreatedAtSeconds: old.CreatedAtSeconds, CreatedAtNanos: old.CreatedAtNanos}
	if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
		t.Errorf("event as written (-want +got):\n%s", diff)
	}
	pending, err := s.Pending(ctx, 10)
	if err != nil {
		t.Fatalf("Pending = %v, want nil", err)
	}
	wantPending := []outbox.Message{{ID: "e-old", Subject: "shippy.test.booked", Data: []byte("old"), CreatedAt: created}, m}
	if diff := cmp.Diff(wantPending, pending); diff != "" {
		t.Errorf("Pending (-want +got):\n%s", diff)
	}
}
