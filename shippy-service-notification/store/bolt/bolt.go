// Package bolt is a notification.Repository kept in one bbolt file: the
// notification service's embedded, durable store. A change the store has
// acknowledged is on disk (see package boltdb for the group commit); one
// process at a time holds the file. Values are this package's own records
// in protobuf (internal/boltpb). The file layout, schema version 1, is:
//
//	meta        "schema"  -> "1"
//	recipients  user id   -> boltpb.Recipient
//	sent        event id  -> boltpb.Sent
//
// See docs/embedded-store.md for how versions change.
package bolt

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/bolt/internal/boltpb"
)

// Bucket names of the file layout (see the package documentation).
var (
	recipientsBucket = []byte("recipients")
	sentBucket       = []byte("sent")
)

var _ notification.Repository = (*Store)(nil)

// Store is a notification.Repository in a bbolt file, safe for concurrent
// use.
//
// Methods return ctx's error, and touch nothing, when ctx is done before
// they start; a transaction that has begun runs to its end. After Close,
// every method returns an error that matches notification.ErrUnavailable.
type Store struct {
	db *boltdb.DB
}

// Open opens the store in the file at path, creating the file (mode 0600)
// and its buckets when they do not exist. The directory must exist. Open
// fails, after boltdb.OpenTimeout, when another Store holds the file, and
// fails when the file is not a notification store of this schema version.
// Every error names the path.
func Open(path string) (*Store, error) {
	db, err := boltdb.OpenStore(path, boltdb.Layout{
		Name:        "notification store",
		Version:     "1", // of the file layout in the package documentation
		Buckets:     [][]byte{recipientsBucket, sentBucket},
		Unavailable: notification.ErrUnavailable,
	})
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close waits for running transactions to end and closes the file. Closing
// a closed Store does nothing.
func (s *Store) Close() error {
	return s.db.Close()
}

// SaveRecipient implements notification.Repository.
func (s *Store) SaveRecipient(ctx context.Context, r notification.Recipient) error {
	value, err := proto.Marshal(&boltpb.Recipient{Name: r.Name, Email: r.Email})
	if err != nil {
		return fmt.Errorf("save recipient %q: %w", r.UserID, err)
	}
	err = s.db.Update(ctx, func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return boltdb.Refuse(err)
		}
		return tx.Bucket(recipientsBucket).Put([]byte(r.UserID), value)
	})
	if err != nil {
		return fmt.Errorf("save recipient %q: %w", r.UserID, err)
	}
	return nil
}

// Recipient implements notification.Repository.
func (s *Store) Recipient(ctx context.Context, userID string) (notification.Recipient, error) {
	var rec boltpb.Recipient
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		value := tx.Bucket(recipientsBucket).Get([]byte(userID))
		if value == nil {
			return notification.ErrUnknownUser
		}
		return proto.Unmarshal(value, &rec)
	})
	if err != nil {
		return notification.Recipient{}, fmt.Errorf("get recipient %q: %w", userID, err)
	}
	return notification.Recipient{UserID: userID, Name: rec.GetName(), Email: rec.GetEmail()}, nil
}

// Handled implements notification.Repository.
func (s *Store) Handled(ctx context.Context, eventID string) (bool, error) {
	var handled bool
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		handled = tx.Bucket(sentBucket).Get([]byte(eventID)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("handled %q: %w", eventID, err)
	}
	return handled, nil
}

// RecordSent implements notification.Repository: the first record of an
// event stays.
func (s *Store) RecordSent(ctx context.Context, sent notification.Sent) error {
	value, err := proto.Marshal(&boltpb.Sent{Kind: sent.Kind, UserId: sent.UserID, SentAtUnixMillis: sent.SentAt.UnixMilli()})
	if err != nil {
		return fmt.Errorf("record sent %q: %w", sent.EventID, err)
	}
	err = s.db.Update(ctx, func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return boltdb.Refuse(err)
		}
		b := tx.Bucket(sentBucket)
		if b.Get([]byte(sent.EventID)) != nil {
			return nil
		}
		return b.Put([]byte(sent.EventID), value)
	})
	if err != nil {
		return fmt.Errorf("record sent %q: %w", sent.EventID, err)
	}
	return nil
}
