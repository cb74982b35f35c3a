// Package bolt is a user.Repository kept in one bbolt file: the user
// service's embedded, durable store. A change the store has acknowledged
// is on disk (see package boltdb for the group commit); one process at a
// time holds the file. Values are this package's own records in protobuf
// (record.go). The file layout, schema version 2, is:
//
//	meta        "schema"         -> "2"
//	users       id               -> boltpb.User
//	emails      EmailKey(email)  -> id (no two users share one)
//	order       sequence number  -> id (creation order, 8 bytes big-endian)
//	outbox      sequence number  -> the event (boltdb.Outbox; the events to publish,
//	                                in the order stored; 8 bytes big-endian)
//	outbox_ids  event id         -> its key in the outbox bucket
//
// Open upgrades a file of version 1, which lacks the outbox buckets. See
// docs/embedded-store.md for how versions change, and docs/outbox.md.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// Bucket names of the file layout (see the package documentation).
var (
	usersBucket     = []byte("users")
	emailsBucket    = []byte("emails")
	orderBucket     = []byte("order")
	outboxBucket    = []byte("outbox")
	outboxIDsBucket = []byte("outbox_ids")
)

// storeOutbox is the store's outbox: the outbox and outbox_ids buckets,
// written in the transaction of the account the events announce
// (boltdb.Outbox, docs/outbox.md). Store embeds its outbox.Store.
var storeOutbox = boltdb.Outbox{Events: outboxBucket, IDs: outboxIDsBucket}

var (
	_ user.Repository = (*Store)(nil)
	_ outbox.Store    = (*Store)(nil)
)

// Store is a user.Repository in a bbolt file, safe for concurrent use.
// Accounts are decoded from the file on every read, so callers never share
// memory with the store.
//
// Methods return ctx's error, and touch nothing, when ctx is done before
// they start; a transaction that has begun runs to its end. After Close,
// every method returns an error that matches domainuser.ErrUnavailable.
type Store struct {
	db *boltdb.DB
	// Store is the outbox: Pending, Done and Count over the outbox
	// buckets (storeOutbox), each one transaction.
	outbox.Store
}

// Open opens the store in the file at path, creating the file (mode 0600)
// and its buckets when they do not exist. The directory must exist. Open
// fails, after boltdb.OpenTimeout, when another Store holds the file, and
// fails when the file is not a user store of this schema version or of
// version 1, which it upgrades in the transaction that opens the file.
// Every error names the path.
func Open(path string) (*Store, error) {
	layout := boltdb.Layout{
		Name:        "user store",
		Version:     "2", // of the file layout in the package documentation
		Buckets:     [][]byte{usersBucket, emailsBucket, orderBucket, outboxBucket, outboxIDsBucket},
		Unavailable: domainuser.ErrUnavailable,
		// Version 2 adds the outbox buckets, empty: the users of version 1
		// were never announced.
		Upgrades: []boltdb.Upgrade{{From: "1"}},
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

// Create implements user.Repository: it stores a, its email's key and its
// place in creation order, and puts events in the outbox, in one
// transaction.
func (s *Store) Create(ctx context.Context, a user.Account, events ...outbox.Message) error {
	for _, m := range events {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("create user %q: %w", a.ID, err)
		}
	}
	id, key := []byte(a.ID), []byte(domainuser.EmailKey(a.Email))
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return boltdb.Refuse(err)
		}
		emails := tx.Bucket(emailsBucket)
		if tx.Bucket(usersBucket).Get(id) != nil || emails.Get(key) != nil {
			return boltdb.Refuse(domainuser.ErrConflict)
		}
		order := tx.Bucket(orderBucket)
		seq, err := order.NextSequence()
		if err != nil {
			return err
		}
		r, err := toRecord(a, seq)
		if err != nil {
			return err
		}
		if err := order.Put(seqKey(seq), id); err != nil {
			return err
		}
		if err := emails.Put(key, id); err != nil {
			return err
		}
		for _, m := range events {
			if err := storeOutbox.Put(tx, m); err != nil {
				return err
			}
		}
		return put(tx, id, r)
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", a.ID, err)
	}
	return nil
}

// Get implements user.Repository.
func (s *Store) Get(ctx context.Context, id string) (user.Account, error) {
	var a user.Account
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		a, err = get(tx, []byte(id))
		return err
	})
	if err != nil {
		return user.Account{}, fmt.Errorf("get user %q: %w", id, err)
	}
	return a, nil
}

// GetByEmail implements user.Repository: one lookup in the emails bucket,
// then one by id.
func (s *Store) GetByEmail(ctx context.Context, email string) (user.Account, error) {
	var a user.Account
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(emailsBucket).Get([]byte(domainuser.EmailKey(email)))
		if id == nil {
			return domainuser.ErrNotFound
		}
		var err error
		a, err = get(tx, id)
		if errors.Is(err, domainuser.ErrNotFound) {
			// Not the caller's not found: the file is inconsistent.
			return fmt.Errorf("email entry names user %q, which is not stored", id)
		}
		return err
	})
	if err != nil {
		return user.Account{}, fmt.Errorf("get user by email: %w", err)
	}
	return a, nil
}

// List implements user.Repository. A page token is the sequence number of
// the last account of the previous page, so a page costs one Seek, O(log
// n), and then a step in the order and a lookup by id per account.
func (s *Store) List(ctx context.Context, limit int, pageToken string) ([]user.Account, string, error) {
	after, ok := store.DecodePageToken(tokenPrefix, pageToken)
	if !ok {
		return nil, "", user.ErrBadPageToken()
	}
	var (
		items []user.Account
		next  string
	)
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		users := tx.Bucket(usersBucket)
		cur := tx.Bucket(orderBucket).Cursor()
		k, id := cur.First()
		if after != 0 {
			// Users are never deleted: the token's user exists, and is
			// followed by one, for the token to be issued.
			if k, _ = cur.Seek(seqKey(after)); !bytes.Equal(k, seqKey(after)) {
				return user.ErrBadPageToken()
			}
			if k, id = cur.Next(); k == nil {
				return user.ErrBadPageToken()
			}
		}
		var (
			r    boltpb.User
			last []byte // the order key of the last account listed
		)
		for ; k != nil; k, id = cur.Next() {
			if limit > 0 && len(items) == limit {
				next = encodeToken(binary.BigEndian.Uint64(last))
				break
			}
			value := users.Get(id)
			if value == nil {
				return fmt.Errorf("order entry %d names user %q, which is not stored", binary.BigEndian.Uint64(k), id)
			}
			if err := decodeRecord(value, &r); err != nil {
				return fmt.Errorf("decode user %q: %w", id, err)
			}
			items = append(items, fromRecord(string(id), &r))
			last = k
		}
		return nil
	})
	if errors.Is(err, domainuser.ErrInvalid) {
		return nil, "", err // the token's *FieldError, as is
	}
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return items, next, nil
}

// SetRole implements user.Repository.
func (s *Store) SetRole(ctx context.Context, id string, role domainuser.Role) error {
	value, err := encodeRole(role)
	if err != nil {
		return fmt.Errorf("set role of user %q: %w", id, err)
	}
	err = s.db.Update(ctx, func(tx *bbolt.Tx) error {
		r, err := load(tx, []byte(id))
		if errors.Is(err, domainuser.ErrNotFound) {
			return boltdb.Refuse(err)
		}
		if err != nil {
			return err
		}
		r.Role = value
		return put(tx, []byte(id), r)
	})
	if err != nil {
		return fmt.Errorf("set role of user %q: %w", id, err)
	}
	return nil
}

// get reads the account stored under id, or returns ErrNotFound.
func get(tx *bbolt.Tx, id []byte) (user.Account, error) {
	r, err := load(tx, id)
	if err != nil {
		return user.Account{}, err
	}
	return fromRecord(string(id), r), nil
}

// load reads and decodes the record stored under id, or returns
// ErrNotFound.
func load(tx *bbolt.Tx, id []byte) (*boltpb.User, error) {
	value := tx.Bucket(usersBucket).Get(id)
	if value == nil {
		return nil, domainuser.ErrNotFound
	}
	r := new(boltpb.User)
	if err := decodeRecord(value, r); err != nil {
		return nil, fmt.Errorf("decode user %q: %w", id, err)
	}
	return r, nil
}

// put encodes r and stores it under id.
func put(tx *bbolt.Tx, id []byte, r *boltpb.User) error {
	value, err := encodeRecord(r)
	if err != nil {
		return fmt.Errorf("encode user %q: %w", id, err)
	}
	return tx.Bucket(usersBucket).Put(id, value)
}

// seqKey is the order bucket's key for a sequence number.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// tokenPrefix marks the page tokens this package issues, which carry a
// sequence number (store.EncodePageToken).
const tokenPrefix = "bolt1:"

func encodeToken(seq uint64) string {
	return store.EncodePageToken(tokenPrefix, seq)
}
