// Package mongo is a notification.Repository in a MongoDB database, through
// the official driver. Several notification service instances may share
// one database: every change is one single-document upsert. Collections:
//
//	recipients         _id: user id; name, email
//	sent_notifications _id: event id; kind, user_id, sent_at
//
// The store can be made while the server is down: every call fails with
// notification.ErrUnavailable until the server answers. See
// docs/mongo-stores.md.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// Names of the collections.
const (
	RecipientsCollection = "recipients"
	SentCollection       = "sent_notifications"
)

var _ notification.Repository = (*Store)(nil)

// Store is a notification.Repository in a MongoDB database, safe for
// concurrent use. It does not own the database's client: the caller
// disconnects it after the last call.
type Store struct {
	recipients *mongo.Collection
	sent       *mongo.Collection
}

// recipientDoc is a recipient as stored. Renaming a field, or changing its
// meaning, is a migration.
type recipientDoc struct {
	UserID string `bson:"_id"`
	Name   string `bson:"name"`
	Email  string `bson:"email"`
}

// sentDoc is the record of a mail sent for an event, its time to the
// millisecond, in UTC.
type sentDoc struct {
	EventID string    `bson:"_id"`
	Kind    string    `bson:"kind"`
	UserID  string    `bson:"user_id"`
	SentAt  time.Time `bson:"sent_at"`
}

// New returns a Store over db. It does not reach the server, so it can be
// made while the server is down.
func New(db *mongo.Database) (*Store, error) {
	if db == nil {
		return nil, errors.New("new mongo notification store: nil database")
	}
	return &Store{recipients: db.Collection(RecipientsCollection), sent: db.Collection(SentCollection)}, nil
}

// SaveRecipient implements notification.Repository: one replace, inserting
// when missing.
func (s *Store) SaveRecipient(ctx context.Context, r notification.Recipient) error {
	d := recipientDoc{UserID: r.UserID, Name: r.Name, Email: r.Email}
	_, err := s.recipients.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.UserID}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save recipient %q: %w", r.UserID, storeError(ctx, err))
	}
	return nil
}

// Recipient implements notification.Repository.
func (s *Store) Recipient(ctx context.Context, userID string) (notification.Recipient, error) {
	d, err := mongodb.FindByID[recipientDoc](ctx, s.recipients, userID)
	if err != nil {
		return notification.Recipient{}, fmt.Errorf("get recipient %q: %w", userID, storeError(ctx, err))
	}
	return notification.Recipient{UserID: d.UserID, Name: d.Name, Email: d.Email}, nil
}

// Handled implements notification.Repository.
func (s *Store) Handled(ctx context.Context, eventID string) (bool, error) {
	n, err := s.sent.CountDocuments(ctx, bson.D{{Key: "_id", Value: eventID}}, options.Count().SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("handled %q: %w", eventID, storeError(ctx, err))
	}
	return n > 0, nil
}

// RecordSent implements notification.Repository: one upsert that sets the
// record only when it inserts it, so the first record of an event stays.
func (s *Store) RecordSent(ctx context.Context, sent notification.Sent) error {
	d := sentDoc{EventID: sent.EventID, Kind: sent.Kind, UserID: sent.UserID, SentAt: sent.SentAt.UTC().Truncate(time.Millisecond)}
	_, err := s.sent.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.EventID}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{
			{Key: "kind", Value: d.Kind}, {Key: "user_id", Value: d.UserID}, {Key: "sent_at", Value: d.SentAt},
		}}},
		options.Update().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// A concurrent upsert of the same event inserted first.
		return nil
	}
	if err != nil {
		return fmt.Errorf("record sent %q: %w", sent.EventID, storeError(ctx, err))
	}
	return nil
}

// storeError maps a driver error to the domain's (mongodb.MapError).
func storeError(ctx context.Context, err error) error {
	return mongodb.MapError(ctx, err, notification.ErrUnknownUser, notification.ErrUnavailable)
}
