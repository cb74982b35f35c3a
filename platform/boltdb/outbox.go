package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/boltdb/internal/outboxpb"
	"github.com/shippy-suite/shippy/platform/outbox"
)

// Outbox is a store's outbox in two buckets of its bbolt file: Events
// holds each event under the next sequence number of that bucket (8 bytes
// big-endian), and IDs maps an event's id to that key, so that Done finds
// it without a scan (docs/outbox.md). Its methods run in the caller's
// transaction, so that an event is written with the fact it announces.
//
// An event is encoded as an outboxpb.OutboxMessage (internal/outboxpb),
// the encoding the consignment store's schema 5 has used from the start.
type Outbox struct {
	// Events and IDs name the two buckets, which the store's Layout
	// lists.
	Events, IDs []byte
}

// Put puts m at the end of the outbox, in tx. An id already in the outbox
// is an error: ids are unique per event.
func (o Outbox) Put(tx *bbolt.Tx, m outbox.Message) error {
	ids := tx.Bucket(o.IDs)
	if ids.Get([]byte(m.ID)) != nil {
		return fmt.Errorf("event %q is in the outbox already", m.ID)
	}
	events := tx.Bucket(o.Events)
	seq, err := events.NextSequence()
	if err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint64(nil, seq)
	value, err := encodeMessage(m)
	if err != nil {
		return err
	}
	if err := events.Put(key, value); err != nil {
		return err
	}
	return ids.Put([]byte(m.ID), key)
}

// Pending returns the first limit events of the outbox, in the order they
// were put, read in tx. Their Data shares no memory with the file; their
// CreatedAt is in UTC.
func (o Outbox) Pending(tx *bbolt.Tx, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	cur := tx.Bucket(o.Events).Cursor()
	for k, v := cur.First(); k != nil && len(out) < limit; k, v = cur.Next() {
		m, err := decodeMessage(v)
		if err != nil {
			return nil, fmt.Errorf("decode event at %x: %w", k, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Done removes the events with the ids from the outbox, in tx; ids that
// are not there are skipped.
func (o Outbox) Done(tx *bbolt.Tx, ids []string) error {
	events, index := tx.Bucket(o.Events), tx.Bucket(o.IDs)
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
}

// Count returns how many events are in the outbox, read in tx. It reads
// every page of the IDs bucket.
func (o Outbox) Count(tx *bbolt.Tx) int {
	return tx.Bucket(o.IDs).Stats().KeyN
}

// encodeMessage returns m as the outboxpb.OutboxMessage of Outbox.
func encodeMessage(m outbox.Message) ([]byte, error) {
	r := &outboxpb.OutboxMessage{Id: m.ID, Subject: m.Subject, Data: m.Data}
	if !m.CreatedAt.IsZero() {
		r.CreatedAtSeconds, r.CreatedAtNanos = m.CreatedAt.Unix(), int32(m.CreatedAt.Nanosecond())
	}
	b, err := proto.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode event %q: %w", m.ID, err)
	}
	return b, nil
}

// decodeMessage decodes an event encoded by encodeMessage. Its CreatedAt
// is in UTC, or the zero time when none was stored.
func decodeMessage(b []byte) (outbox.Message, error) {
	var r outboxpb.OutboxMessage
	if err := proto.Unmarshal(b, &r); err != nil {
		return outbox.Message{}, err
	}
	if r.CreatedAtNanos < 0 || r.CreatedAtNanos >= int32(time.Second) {
		return outbox.Message{}, errors.New("created_at_nanos out of range")
	}
	m := outbox.Message{ID: r.Id, Subject: r.Subject, Data: r.Data}
	if r.CreatedAtSeconds != 0 || r.CreatedAtNanos != 0 {
		m.CreatedAt = time.Unix(r.CreatedAtSeconds, int64(r.CreatedAtNanos)).UTC()
	}
	return m, nil
}

// Store returns the outbox.Store of o in db, for a store to embed: each
// call is one transaction of db (Update joins the group commit), and its
// errors say what it did.
func (o Outbox) Store(db *DB) outbox.Store {
	return outboxStore{box: o, db: db}
}

// outboxStore is Outbox.Store's result.
type outboxStore struct {
	box Outbox
	db  *DB
}

// Pending implements outbox.Store.
func (s outboxStore) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = s.box.Pending(tx, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

// Done implements outbox.Store, in one transaction.
func (s outboxStore) Done(ctx context.Context, ids []string) error {
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error { return s.box.Done(tx, ids) })
	if err != nil {
		return fmt.Errorf("mark %d events done: %w", len(ids), err)
	}
	return nil
}

// Count implements outbox.Store.
func (s outboxStore) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		n = s.box.Count(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}
