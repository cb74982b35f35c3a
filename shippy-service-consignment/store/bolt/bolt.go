// Package bolt is a consignment.Repository kept in one bbolt file: the
// consignment service's embedded, durable store. A change the store has
// acknowledged is on disk (see package boltdb for the group commit); one
// process at a time holds the file. Values are this package's own records
// in protobuf (record.go). The file layout, schema version 5, is:
//
//	meta          "schema"              -> "5"
//	              "holder"              -> the holder id (made by the first Holder call)
//	consignments  id                    -> boltpb.Consignment (pending, booked or cancelled)
//	order         sequence number       -> id (creation order, 8 bytes big-endian)
//	pending       id                    -> "" (the pending consignments)
//	owners        owner 0x00 seq number -> id (the consignments with an owner, by owner
//	                                         in creation order; seq as in order)
//	outbox        sequence number       -> the event (boltdb.Outbox; the events to publish,
//	                                         in the order stored; 8 bytes big-endian)
//	outbox_ids    event id              -> its key in the outbox bucket
//
// A cancelled consignment keeps its order and owners entries, which List
// skips as it skips pending ones: a page token naming it stays valid.
//
// Open upgrades a file of version 4, which lacks the outbox buckets, of
// version 3, which also lacks the owners bucket, and of version 2, whose
// records are JSON (migrate.go).
// See docs/embedded-store.md for why, and how versions change.
package bolt

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt/internal/boltpb"
)

// Bucket names of the file layout (see the package documentation).
var (
	consignmentsBucket = []byte("consignments")
	orderBucket        = []byte("order")
	pendingBucket      = []byte("pending")
	ownersBucket       = []byte("owners")
	outboxBucket       = []byte("outbox")
	outboxIDsBucket    = []byte("outbox_ids")
)

// holderKey is the meta bucket's key of the holder id (Store.Holder).
const holderKey = "holder"

var (
	_ consignment.Repository = (*Store)(nil)
	_ outbox.Store           = (*Store)(nil)
)

// Store is a consignment.Repository in a bbolt file, safe for concurrent
// use. Consignments are decoded from the file on every read, so callers
// never share memory with the store.
//
// Methods return ctx's error, and touch nothing, when ctx is done before
// they start; a transaction that has begun runs to its end. After Close,
// every method returns an error that matches consignment.ErrUnavailable.
type Store struct {
	db *boltdb.DB
	// Store is the outbox: Pending, Done and Count over the outbox
	// buckets (storeOutbox), each one transaction.
	outbox.Store
}

// Open opens the store in the file at path, creating the file (mode 0600)
// and its buckets when they do not exist. The directory must exist. Open
// fails, after boltdb.OpenTimeout, when another Store holds the file, and
// fails when the file is not a store of this schema version or of versions
// 2 to 4, which it upgrades in the transaction that opens the file. Every
// error names the path.
func Open(path string) (*Store, error) {
	layout := boltdb.Layout{
		Name:        "consignment store",
		Version:     "5", // of the file layout in the package documentation
		Buckets:     [][]byte{consignmentsBucket, orderBucket, pendingBucket, ownersBucket, outboxBucket, outboxIDsBucket},
		Unavailable: consignment.ErrUnavailable,
		Upgrades: []boltdb.Upgrade{
			{From: "2", Apply: upgradeV2},
			// Version 4 adds the owners bucket, empty: no consignment of
			// version 3 has an owner.
			{From: "3"},
			// Version 5 adds the outbox buckets, empty: the consignments of
			// version 4 were never announced.
			{From: "4"},
		},
	}
	db, err := boltdb.OpenStore(path, layout)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, Store: storeOutbox.Store(db)}, nil
}

// Close waits for running transactions to end and closes the file. Closing
// a closed Store does nothing.
func (s *Store) Close() error {
	return s.db.Close()
}

// Create implements consignment.Repository: it stores c and gives it the
// next place in creation order, and in its owner's, and puts events in the
// outbox, in one transaction. It looks at ctx again in the transaction,
// before writing: a Create that waited in the group commit past its
// deadline writes nothing.
func (s *Store) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	for _, m := range events {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("create consignment %q: %w", c.ID, err)
		}
	}
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		// Once ctx has ended, the caller may act as if c is not stored.
		if err := ctx.Err(); err != nil {
			return boltdb.Refuse(err)
		}
		id := []byte(c.ID)
		if tx.Bucket(consignmentsBucket).Get(id) != nil {
			return boltdb.Refuse(consignment.ErrConflict)
		}
		r, err := place(tx, c)
		if err != nil {
			return err
		}
		if r.Owner != "" {
			if err := tx.Bucket(ownersBucket).Put(ownerKey(r.Owner, r.Seq), id); err != nil {
				return err
			}
		}
		for _, m := range events {
			if err := storeOutbox.Put(tx, m); err != nil {
				return err
			}
		}
		return put(tx, id, r)
	})
	if err != nil {
		return fmt.Errorf("create consignment %q: %w", c.ID, err)
	}
	return nil
}

// place gives c the next sequence number, enters it in the order bucket,
// and in the pending bucket when it is pending, and returns its record.
// The caller enters it in the owners bucket when it has an owner, and
// stores the record.
func place(tx *bbolt.Tx, c consignment.Consignment) (*boltpb.Consignment, error) {
	order := tx.Bucket(orderBucket)
	seq, err := order.NextSequence()
	if err != nil {
		return nil, err
	}
	r, err := toRecord(c, seq)
	if err != nil {
		return nil, err
	}
	id := []byte(c.ID)
	if err := order.Put(seqKey(seq), id); err != nil {
		return nil, err
	}
	if r.Status == boltpb.Status_STATUS_PENDING {
		if err := tx.Bucket(pendingBucket).Put(id, nil); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Load stores cs as that many Creates without events would, in the order given, in one
// transaction committed on its own (not shared with concurrent calls). It
// is for filling a file before a service opens it, as the benchmark does;
// the service never calls it. An id stored already, or twice in cs, is
// ErrConflict, and then nothing is stored.
func (s *Store) Load(ctx context.Context, cs []consignment.Consignment) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Bolt().Update(func(tx *bbolt.Tx) error {
		records := make([]*boltpb.Consignment, len(cs))
		var owned [][2][]byte // owners bucket entries: key, id
		for i, c := range cs {
			var err error
			if records[i], err = place(tx, c); err != nil {
				return err
			}
			if c.Owner != "" {
				owned = append(owned, [2][]byte{ownerKey(c.Owner, records[i].Seq), []byte(c.ID)})
			}
		}
		// Owner entries and records in key order: bbolt splits a
		// transaction's nodes only at commit, so puts in random order into
		// one transaction take O(n²).
		slices.SortFunc(owned, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
		owners := tx.Bucket(ownersBucket)
		for _, e := range owned {
			if err := owners.Put(e[0], e[1]); err != nil {
				return err
			}
		}
		byID := make([]int, len(cs))
		for i := range byID {
			byID[i] = i
		}
		slices.SortFunc(byID, func(a, b int) int { return strings.Compare(cs[a].ID, cs[b].ID) })
		for _, i := range byID {
			id := []byte(cs[i].ID)
			if tx.Bucket(consignmentsBucket).Get(id) != nil {
				return consignment.ErrConflict
			}
			if err := put(tx, id, records[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load %d consignments: %w", len(cs), err)
	}
	return nil
}

// Get implements consignment.Repository.
func (s *Store) Get(ctx context.Context, id string) (consignment.Consignment, error) {
	var c consignment.Consignment
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		r, err := load(tx, []byte(id))
		if err != nil {
			return err
		}
		c, err = fromRecord(id, r)
		return err
	})
	if err != nil {
		return consignment.Consignment{}, fmt.Errorf("get consignment %q: %w", id, err)
	}
	return c, nil
}

// List implements consignment.Repository. Every consignment is listed
// from the order bucket, an owner's from its range of the owners bucket,
// whose keys end in the sequence number. A page token is the sequence
// number of the last consignment of the previous page, so a page costs one
// Seek, O(log n), and then a step in the bucket and a lookup by id per
// consignment, listed or skipped as pending or cancelled. The two listings' tokens have
// prefixes of their own; an owner's token names an entry of its range.
func (s *Store) List(ctx context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	bucket, prefix, tokPrefix := orderBucket, []byte(nil), tokenPrefix
	if owner != "" {
		bucket, prefix, tokPrefix = ownersBucket, ownerPrefix(owner), ownerTokenPrefix
	}
	after, err := decodeToken(tokPrefix, pageToken)
	if err != nil {
		return nil, "", err
	}
	var (
		items []consignment.Consignment
		next  string
	)
	if limit > 0 {
		items = make([]consignment.Consignment, 0, min(limit, consignment.MaxPageSize))
	}
	err = s.db.View(ctx, func(tx *bbolt.Tx) error {
		// One cursor and one record for every lookup: each lookup of its
		// own (load) allocates both.
		records := tx.Bucket(consignmentsBucket).Cursor()
		var r boltpb.Consignment
		cur := tx.Bucket(bucket).Cursor()
		// entry returns the entry of the listing at or after k, with its
		// id; nil at the end. It skips the entries of owners whose ids
		// begin with owner and 0x00, longer than owner's.
		entry := func(k, id []byte) ([]byte, []byte) {
			for ; k != nil && bytes.HasPrefix(k, prefix); k, id = cur.Next() {
				if len(k) == len(prefix)+8 {
					return k, id
				}
			}
			return nil, nil
		}
		k, id := entry(cur.Seek(prefix))
		if after != 0 {
			// The token's consignment is booked or cancelled, so never
			// deleted: its entry must exist, and be followed by one, for
			// the token to be issued.
			start := append(slices.Clip(prefix), seqKey(after)...)
			if k, _ = cur.Seek(start); !bytes.Equal(k, start) {
				return consignment.ErrBadPageToken()
			}
			if k, id = entry(cur.Next()); k == nil {
				return consignment.ErrBadPageToken()
			}
		}
		var last uint64 // the sequence number of the last consignment listed
		for ; k != nil; k, id = entry(cur.Next()) {
			seq := binary.BigEndian.Uint64(k[len(prefix):])
			err := loadAt(records, id, &r)
			if errors.Is(err, consignment.ErrNotFound) {
				// Not the caller's not found: the file is inconsistent.
				return fmt.Errorf("%s entry %d names consignment %q, which is not stored", bucket, seq, id)
			}
			if err != nil {
				return err
			}
			if r.Status != boltpb.Status_STATUS_BOOKED {
				continue
			}
			if limit > 0 && len(items) == limit {
				next = encodeToken(tokPrefix, last)
				break
			}
			c, err := fromRecord(string(id), &r)
			if err != nil {
				return err
			}
			items = append(items, c)
			last = seq
		}
		return nil
	})
	if errors.Is(err, consignment.ErrInvalid) {
		return nil, "", err // the token's *FieldError, as is
	}
	if err != nil {
		return nil, "", fmt.Errorf("list consignments: %w", err)
	}
	return items, next, nil
}

// Cancel implements consignment.Repository: it rewrites the record with
// the new status, leaving the order and owners entries as they are. The
// cancel of a cancelled consignment writes nothing.
func (s *Store) Cancel(ctx context.Context, id, owner string) (consignment.Consignment, error) {
	var c consignment.Consignment
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		r, err := load(tx, []byte(id))
		switch {
		case errors.Is(err, consignment.ErrNotFound):
			return boltdb.Refuse(err)
		case err != nil:
			return err
		case r.Status == boltpb.Status_STATUS_PENDING, owner != "" && r.Owner != owner:
			return boltdb.Refuse(consignment.ErrNotFound)
		}
		cancelled := r.Status == boltpb.Status_STATUS_CANCELLED
		r.Status = boltpb.Status_STATUS_CANCELLED
		if c, err = fromRecord(id, r); err != nil {
			return err
		}
		if cancelled {
			return boltdb.Refuse(errUnchanged)
		}
		return put(tx, []byte(id), r)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return consignment.Consignment{}, fmt.Errorf("cancel consignment %q: %w", id, err)
	}
	return c, nil
}

// errUnchanged is the refusal of a change that would write what is stored
// already: the call succeeds, with no commit of its own.
var errUnchanged = errors.New("unchanged")

// DeletePending implements consignment.Repository.
func (s *Store) DeletePending(ctx context.Context, id string) error {
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		r, err := loadPending(tx, []byte(id))
		if errors.Is(err, consignment.ErrNotFound) {
			return boltdb.Refuse(err)
		}
		if err != nil {
			return err
		}
		if err := tx.Bucket(orderBucket).Delete(seqKey(r.Seq)); err != nil {
			return err
		}
		if err := tx.Bucket(pendingBucket).Delete([]byte(id)); err != nil {
			return err
		}
		if r.Owner != "" {
			if err := tx.Bucket(ownersBucket).Delete(ownerKey(r.Owner, r.Seq)); err != nil {
				return err
			}
		}
		return tx.Bucket(consignmentsBucket).Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("delete pending consignment %q: %w", id, err)
	}
	return nil
}

// ClaimPending implements consignment.Repository.
func (s *Store) ClaimPending(ctx context.Context, id, owner string, next consignment.Lease) error {
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		r, err := loadPending(tx, []byte(id))
		if errors.Is(err, consignment.ErrNotFound) || err == nil && r.LeaseOwner != owner {
			return boltdb.Refuse(consignment.ErrNotFound)
		}
		if err != nil {
			return err
		}
		r.LeaseOwner = next.Owner
		r.LeaseUntilSeconds, r.LeaseUntilNanos = unixParts(next.Until)
		return put(tx, []byte(id), r)
	})
	if err != nil {
		return fmt.Errorf("claim pending consignment %q: %w", id, err)
	}
	return nil
}

// Holder implements consignment.Repository: the id is kept in the meta
// bucket under holderKey, made by the first call on a file.
func (s *Store) Holder(ctx context.Context) (string, error) {
	holder, err := s.db.MetaValue(ctx, holderKey, func() []byte { return []byte(rand.Text()) })
	if err != nil {
		return "", fmt.Errorf("read holder id: %w", err)
	}
	return string(holder), nil
}

// ListPending implements consignment.Repository; it reads the pending
// bucket, so it costs a lookup per pending consignment, and returns them in
// id order.
func (s *Store) ListPending(ctx context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	var out []consignment.Consignment
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		cur := tx.Bucket(pendingBucket).Cursor()
		for id, _ := cur.First(); id != nil && len(out) < limit; id, _ = cur.Next() {
			r, err := loadPending(tx, id)
			if errors.Is(err, consignment.ErrNotFound) {
				return fmt.Errorf("pending entry names consignment %q, which is not pending", id)
			}
			if err != nil {
				return err
			}
			if unixTime(r.LeaseUntilSeconds, r.LeaseUntilNanos).After(t) {
				continue
			}
			c, err := fromRecord(string(id), r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pending consignments: %w", err)
	}
	return out, nil
}

// load reads and decodes the record stored under id, or returns
// ErrNotFound.
func load(tx *bbolt.Tx, id []byte) (*boltpb.Consignment, error) {
	r := new(boltpb.Consignment)
	if err := loadAt(tx.Bucket(consignmentsBucket).Cursor(), id, r); err != nil {
		return nil, err
	}
	return r, nil
}

// loadAt is load into r, with records, a cursor of the consignments
// bucket, for callers that load many.
func loadAt(records *bbolt.Cursor, id []byte, r *boltpb.Consignment) error {
	k, value := records.Seek(id)
	if !bytes.Equal(k, id) {
		return consignment.ErrNotFound
	}
	if err := decodeRecord(value, r); err != nil {
		return fmt.Errorf("decode consignment %q: %w", id, err)
	}
	return nil
}

// loadPending is load for a pending consignment: a booked one is
// ErrNotFound.
func loadPending(tx *bbolt.Tx, id []byte) (*boltpb.Consignment, error) {
	r, err := load(tx, id)
	if err == nil && r.Status != boltpb.Status_STATUS_PENDING {
		return nil, consignment.ErrNotFound
	}
	return r, err
}

// put encodes r and stores it under id.
func put(tx *bbolt.Tx, id []byte, r *boltpb.Consignment) error {
	value, err := encodeRecord(r)
	if err != nil {
		return fmt.Errorf("encode consignment %q: %w", id, err)
	}
	return tx.Bucket(consignmentsBucket).Put(id, value)
}

// seqKey is the order bucket's key for a sequence number.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// ownerPrefix is the owners bucket's prefix of owner's keys: owner, 0x00.
func ownerPrefix(owner string) []byte {
	return append([]byte(owner), 0)
}

// ownerKey is the owners bucket's key of owner's consignment at sequence
// number seq. An owner id holding 0x00 makes keys that begin as another
// owner's prefix; List tells them apart by their length.
func ownerKey(owner string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(ownerPrefix(owner), seq)
}

// tokenPrefix and ownerTokenPrefix mark the page tokens this package
// issues, which carry a sequence number (store.EncodePageToken), for the
// listing of every consignment and for an owner's: a token of the one is
// refused by the other.
const (
	tokenPrefix      = "bolt1:"
	ownerTokenPrefix = "bolt1o:"
)

func encodeToken(prefix string, seq uint64) string {
	return store.EncodePageToken(prefix, seq)
}

// decodeToken returns the sequence number a page token of prefix carries,
// 0 for the empty token, or a *FieldError on "page_token". List then
// checks that the number is one it could have issued.
func decodeToken(prefix, token string) (uint64, error) {
	seq, ok := store.DecodePageToken(prefix, token)
	if !ok {
		return 0, consignment.ErrBadPageToken()
	}
	return seq, nil
}
