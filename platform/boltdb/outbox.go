package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// Outbox is a store's outbox in two buckets of its bbolt file: Events
// holds each event under the next sequence number of that bucket (8 bytes
// big-endian), and IDs maps an event's id to that key, so that Done finds
// it without a scan (docs/outbox.md). Its methods run in the caller's
// transaction, so that an event is written with the fact it announces.
//
// An event is encoded as the protobuf message
//
//	message OutboxMessage {
//	  string id = 1; string subject = 2; bytes data = 3;
//	  sint64 created_at_seconds = 4; int32 created_at_nanos = 5;
//	}
//
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
	if err := events.Put(key, encodeMessage(m)); err != nil {
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

// Field numbers of the encoding of an event (see Outbox).
const (
	fieldID protowire.Number = iota + 1
	fieldSubject
	fieldData
	fieldSeconds
	fieldNanos
)

// encodeMessage returns m in the encoding of Outbox. Empty fields are left
// out, as protobuf does.
func encodeMessage(m outbox.Message) []byte {
	var b []byte
	appendBytes := func(n protowire.Number, v []byte) {
		if len(v) > 0 {
			b = protowire.AppendTag(b, n, protowire.BytesType)
			b = protowire.AppendBytes(b, v)
		}
	}
	appendBytes(fieldID, []byte(m.ID))
	appendBytes(fieldSubject, []byte(m.Subject))
	appendBytes(fieldData, m.Data)
	if s := m.CreatedAt.Unix(); s != 0 {
		b = protowire.AppendTag(b, fieldSeconds, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(s))
	}
	if n := m.CreatedAt.Nanosecond(); n != 0 {
		b = protowire.AppendTag(b, fieldNanos, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(int32(n))))
	}
	return b
}

// decodeMessage decodes an event encoded by encodeMessage, skipping fields
// it does not know. Its CreatedAt is in UTC.
func decodeMessage(b []byte) (outbox.Message, error) {
	var (
		m              outbox.Message
		seconds, nanos int64
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return outbox.Message{}, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType && (num == fieldID || num == fieldSubject || num == fieldData):
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return outbox.Message{}, protowire.ParseError(n)
			}
			switch num {
			case fieldID:
				m.ID = string(v)
			case fieldSubject:
				m.Subject = string(v)
			default:
				m.Data = bytes.Clone(v)
			}
			b = b[n:]
		case typ == protowire.VarintType && (num == fieldSeconds || num == fieldNanos):
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return outbox.Message{}, protowire.ParseError(n)
			}
			if num == fieldSeconds {
				seconds = protowire.DecodeZigZag(v)
			} else {
				nanos = int64(int32(v))
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return outbox.Message{}, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	if nanos < 0 || nanos >= int64(time.Second) {
		return outbox.Message{}, errors.New("created_at_nanos out of range")
	}
	// A stored zero time comes back as the zero time, anything else in UTC.
	if t := time.Unix(seconds, nanos); !t.Equal(time.Time{}) {
		m.CreatedAt = t.UTC()
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
