package bolt

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt/internal/boltpb"
)

// An event waits in the outbox bucket under the next sequence number of
// that bucket, as a boltpb.OutboxMessage, with its id in the outbox_ids
// bucket, so that Done finds it without a scan (docs/outbox.md).

// putEvent puts m at the end of the outbox, in tx. An id already in the
// outbox is an error: ids are unique per event.
func putEvent(tx *bbolt.Tx, m outbox.Message) error {
	ids := tx.Bucket(outboxIDsBucket)
	if ids.Get([]byte(m.ID)) != nil {
		return fmt.Errorf("event %q is in the outbox already", m.ID)
	}
	events := tx.Bucket(outboxBucket)
	seq, err := events.NextSequence()
	if err != nil {
		return err
	}
	r := &boltpb.OutboxMessage{Id: m.ID, Subject: m.Subject, Data: m.Data}
	r.CreatedAtSeconds, r.CreatedAtNanos = unixParts(m.CreatedAt)
	value, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode event %q: %w", m.ID, err)
	}
	key := seqKey(seq)
	if err := events.Put(key, value); err != nil {
		return err
	}
	return ids.Put([]byte(m.ID), key)
}

// Pending implements outbox.Store: the first limit events of the outbox,
// in the order they were stored.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		out = out[:0]
		cur := tx.Bucket(outboxBucket).Cursor()
		for k, v := cur.First(); k != nil && len(out) < limit; k, v = cur.Next() {
			var r boltpb.OutboxMessage
			if err := proto.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode event at %x: %w", k, err)
			}
			out = append(out, outbox.Message{
				ID: r.Id, Subject: r.Subject, Data: r.Data, // Unmarshal copies
				CreatedAt: unixTime(r.CreatedAtSeconds, r.CreatedAtNanos),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

// Done implements outbox.Store: it removes the events with the ids from
// the outbox, in one transaction.
func (s *Store) Done(ctx context.Context, ids []string) error {
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		events, index := tx.Bucket(outboxBucket), tx.Bucket(outboxIDsBucket)
		for _, id := range ids {
			key := bytes.Clone(index.Get([]byte(id))) // valid past the deletes
			if key == nil {
				continue
			}
			if err := events.Delete(key); err != nil {
				return err
			}
			if err := index.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark %d events done: %w", len(ids), err)
	}
	return nil
}

// Count implements outbox.Store. It reads every page of the outbox bucket.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(outboxIDsBucket).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}
