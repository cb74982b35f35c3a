// Package mongo is a user.Repository in a MongoDB database, through the
// official driver. Several user service instances may share one database:
// every change is one single-document write, and a unique index keeps
// emails unique. Collections (record.go):
//
//	users     _id: user id; seq (place in creation order), email_key (unique), name, email, role, ...;
//	          outbox: the events announcing it that wait to be published (mongodb.Outbox)
//	counters  _id: "users"; seq: the last place handed out
//
// The store can be made while the server is down: it creates its indexes
// on first use, and every call fails with domainuser.ErrUnavailable until
// the server answers. See docs/mongo-stores.md.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"math"
	mathrand "math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// Names of the collections.
const (
	UsersCollection    = "users"
	CountersCollection = "counters"
)

// counterID is the _id of the counter of places in creation order.
const counterID = "users"

// maxPlaceTries bounds how often Create takes a place in creation order:
// more than once only on a server that hands a place out twice.
const maxPlaceTries = 5

var (
	_ user.Repository = (*Store)(nil)
	_ outbox.Store    = (*Store)(nil)
)

// Store is a user.Repository in a MongoDB database, safe for concurrent
// use. It does not own the database's client: the caller disconnects it
// after the last call.
type Store struct {
	users    *mongo.Collection
	counters *mongo.Collection

	indexes *mongodb.Indexes // made on first use (setUp)
	// Store is the outbox: Pending, Done and Count over the events in the
	// users' documents (mongodb.Outbox, docs/outbox.md).
	outbox.Store
}

// New returns a Store over db. It does not reach the server, so it can be
// made while the server is down.
func New(db *mongo.Database) (*Store, error) {
	if db == nil {
		return nil, errors.New("new mongo user store: nil database")
	}
	users := db.Collection(UsersCollection)
	s := &Store{
		users:    users,
		counters: db.Collection(CountersCollection),
		indexes:  mongodb.NewIndexes(users, indexes()),
	}
	s.Store = mongodb.Outbox{Collection: users, Order: fieldSeq, SetUp: s.setUp, MapError: storeError}
	return s, nil
}

// indexes are the indexes of the users collection besides _id:
// email_key_unique (no two users with one email, whatever its case) and
// seq_unique (no two users at one place in creation order; List), and
// outbox_id, sparse (the users with events to publish: Pending, Done).
func indexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		{
			Keys:    bson.D{{Key: fieldEmailKey, Value: 1}},
			Options: options.Index().SetName("email_key_unique").SetUnique(true),
		},
		{
			Keys:    bson.D{{Key: fieldSeq, Value: 1}},
			Options: options.Index().SetName("seq_unique").SetUnique(true),
		},
		mongodb.OutboxIndex(),
	}
}

// setUp creates the indexes unless an earlier call has (mongodb.Indexes).
func (s *Store) setUp(ctx context.Context) error {
	return storeError(ctx, s.indexes.Ensure(ctx))
}

// Create implements user.Repository: one insert, of the account with the
// events in its document, which the unique indexes refuse when the id or
// the email is taken.
func (s *Store) Create(ctx context.Context, a user.Account, events ...outbox.Message) error {
	if err := s.create(ctx, a, events); err != nil {
		return fmt.Errorf("create user %q: %w", a.ID, err)
	}
	return nil
}

func (s *Store) create(ctx context.Context, a user.Account, events []outbox.Message) error {
	for _, m := range events {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	if err := s.setUp(ctx); err != nil {
		return err
	}
	for range maxPlaceTries {
		seq, err := s.nextPlace(ctx)
		if err != nil {
			return err
		}
		d, err := toDoc(a, seq, events)
		if err != nil {
			return err
		}
		_, err = s.users.InsertOne(ctx, d)
		if !mongo.IsDuplicateKeyError(err) {
			return storeError(ctx, err)
		}
		// The id, the email or the place is taken.
		taken, err := s.users.CountDocuments(ctx, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: fieldID, Value: d.ID}},
			bson.D{{Key: fieldEmailKey, Value: d.EmailKey}},
		}}})
		switch {
		case err != nil:
			return storeError(ctx, err)
		case taken > 0:
			return domainuser.ErrConflict
		}
		// The place was handed out twice: take another, after a pause
		// that parts the creates that collided.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mathrand.N(10 * time.Millisecond)):
		}
	}
	return fmt.Errorf("%w: no free place in creation order after %d tries", domainuser.ErrUnavailable, maxPlaceTries)
}

// nextPlace takes the next place in creation order from the counter,
// which the first call creates.
func (s *Store) nextPlace(ctx context.Context) (int64, error) {
	seq, err := mongodb.NextSeq(ctx, s.counters, counterID)
	if err != nil {
		return 0, fmt.Errorf("take a place in creation order: %w", storeError(ctx, err))
	}
	return seq, nil
}

// Get implements user.Repository.
func (s *Store) Get(ctx context.Context, id string) (user.Account, error) {
	a, err := s.findOne(ctx, bson.D{{Key: fieldID, Value: id}})
	if err != nil {
		return user.Account{}, fmt.Errorf("get user %q: %w", id, err)
	}
	return a, nil
}

// GetByEmail implements user.Repository: a lookup on email_key_unique.
func (s *Store) GetByEmail(ctx context.Context, email string) (user.Account, error) {
	a, err := s.findOne(ctx, bson.D{{Key: fieldEmailKey, Value: domainuser.EmailKey(email)}})
	if err != nil {
		return user.Account{}, fmt.Errorf("get user by email: %w", err)
	}
	return a, nil
}

// findOne returns the account of the document filter matches, or
// ErrNotFound.
func (s *Store) findOne(ctx context.Context, filter bson.D) (user.Account, error) {
	var d userDoc
	if err := s.users.FindOne(ctx, filter).Decode(&d); err != nil {
		return user.Account{}, storeError(ctx, err)
	}
	return d.toAccount()
}

// List implements user.Repository. A page token is the seq of the last
// account of the previous page; users are never deleted, so a token stays
// valid. A page is one range query on seq_unique, one account beyond the
// limit read to know whether another page follows.
func (s *Store) List(ctx context.Context, limit int, pageToken string) ([]user.Account, string, error) {
	after, ok := store.DecodePageToken(tokenPrefix, pageToken)
	if !ok || after > math.MaxInt64 {
		return nil, "", user.ErrBadPageToken()
	}
	items, next, err := s.list(ctx, limit, int64(after))
	if errors.Is(err, domainuser.ErrInvalid) {
		return nil, "", err // the token's *FieldError, as is
	}
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return items, next, nil
}

func (s *Store) list(ctx context.Context, limit int, after int64) ([]user.Account, string, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, "", err
	}
	if after != 0 {
		err := s.users.FindOne(ctx, bson.D{{Key: fieldSeq, Value: after}}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, "", user.ErrBadPageToken()
		}
		if err != nil {
			return nil, "", storeError(ctx, err)
		}
	}
	opts := options.Find().SetSort(bson.D{{Key: fieldSeq, Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit) + 1)
	}
	cur, err := s.users.Find(ctx, bson.D{{Key: fieldSeq, Value: bson.D{{Key: "$gt", Value: after}}}}, opts)
	if err != nil {
		return nil, "", storeError(ctx, err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, "", storeError(ctx, err)
	}
	next := ""
	if limit > 0 && len(docs) > limit {
		docs = docs[:limit]
		next = store.EncodePageToken(tokenPrefix, uint64(docs[limit-1].Seq))
	}
	items := make([]user.Account, len(docs))
	for i, d := range docs {
		if items[i], err = d.toAccount(); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// SetRole implements user.Repository in one update.
func (s *Store) SetRole(ctx context.Context, id string, r domainuser.Role) error {
	role, err := storedRole(r)
	if err == nil {
		var res *mongo.UpdateResult
		res, err = s.users.UpdateOne(ctx, bson.D{{Key: fieldID, Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: fieldRole, Value: role}}}})
		switch {
		case err != nil:
			err = storeError(ctx, err)
		case res.MatchedCount == 0:
			err = domainuser.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("set role of user %q: %w", id, err)
	}
	return nil
}

// storeError maps a driver error to the domain's (mongodb.MapError).
func storeError(ctx context.Context, err error) error {
	return mongodb.MapError(ctx, err, domainuser.ErrNotFound, domainuser.ErrUnavailable)
}

// tokenPrefix marks the page tokens this package issues, which carry a
// seq (store.EncodePageToken).
const tokenPrefix = "mongo1:"
