// Package mongo is a consignment.Repository in a MongoDB database, through
// the official driver. Several consignment service instances may share one
// database (and its holder id): every change is one atomic single-document
// write, conditional on the state the call names. A Create relies on the
// driver to send nothing once its context has ended. Collections
// (record.go):
//
//	consignments  _id: consignment id; seq (place in creation order), status, owner, lease, ...;
//	              outbox: the events announcing it that wait to be published (mongodb.Outbox)
//	counters      _id: "consignments"; seq: the last place handed out
//	meta          _id: "holder"; holder: the holder id (made by the first Holder call)
//
// The store can be made while the server is down: it creates its indexes
// on first use, and every call fails with consignment.ErrUnavailable until
// the server answers. See docs/mongo-stores.md.
package mongo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	mathrand "math/rand/v2"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/internal/record"
)

// Names of the collections.
const (
	ConsignmentsCollection = "consignments"
	CountersCollection     = "counters"
	MetaCollection         = "meta"
)

// counterID is the _id of the counter of places in creation order.
const counterID = "consignments"

// maxPlaceTries bounds how often Create takes a place in creation order:
// more than once only on a server that hands a place out twice.
const maxPlaceTries = 5

var (
	_ consignment.Repository = (*Store)(nil)
	_ outbox.Store           = (*Store)(nil)
)

// Store is a consignment.Repository in a MongoDB database, safe for
// concurrent use. It does not own the database's client: the caller
// disconnects it after the last call.
type Store struct {
	consignments *mongo.Collection
	counters     *mongo.Collection
	meta         *mongo.Collection

	indexes *mongodb.Indexes // made on first use (setUp)
	// Store is the outbox: Pending, Done and Count over the events in the
	// consignments' documents (mongodb.Outbox, docs/outbox.md).
	outbox.Store
}

// New returns a Store over db. It does not reach the server, so it can be
// made while the server is down.
func New(db *mongo.Database) (*Store, error) {
	if db == nil {
		return nil, errors.New("new mongo consignment store: nil database")
	}
	consignments := db.Collection(ConsignmentsCollection)
	s := &Store{
		consignments: consignments,
		counters:     db.Collection(CountersCollection),
		meta:         db.Collection(MetaCollection),
		indexes:      mongodb.NewIndexes(consignments, indexes()),
	}
	s.Store = mongodb.Outbox{Collection: consignments, Order: fieldSeq, SetUp: s.setUp, MapError: storeError}
	return s, nil
}

// indexes are the indexes of the consignments collection besides _id:
// seq_unique (no two consignments at one place in creation order),
// status_seq (List of every consignment, and ListPending) and owner_seq
// (List of an owner's), and outbox_id, sparse (the consignments with
// events to publish: Pending, Done).
func indexes() []mongo.IndexModel {
	return []mongo.IndexModel{
		{
			Keys:    bson.D{{Key: fieldSeq, Value: 1}},
			Options: options.Index().SetName("seq_unique").SetUnique(true),
		},
		{
			Keys:    bson.D{{Key: fieldStatus, Value: 1}, {Key: fieldSeq, Value: 1}},
			Options: options.Index().SetName("status_seq"),
		},
		{
			Keys:    bson.D{{Key: fieldOwner, Value: 1}, {Key: fieldSeq, Value: 1}},
			Options: options.Index().SetName("owner_seq"),
		},
		mongodb.OutboxIndex(),
	}
}

// setUp creates the indexes unless an earlier call has (mongodb.Indexes).
func (s *Store) setUp(ctx context.Context) error {
	return storeError(ctx, s.indexes.Ensure(ctx))
}

// Create implements consignment.Repository: the events are in the
// consignment's document, written in one insert.
func (s *Store) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	if err := s.create(ctx, c, events); err != nil {
		return fmt.Errorf("create consignment %q: %w", c.ID, err)
	}
	return nil
}

func (s *Store) create(ctx context.Context, c consignment.Consignment, events []outbox.Message) error {
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
		d, err := toDoc(c, seq, events)
		if err != nil {
			return err
		}
		_, err = s.consignments.InsertOne(ctx, d)
		if !mongo.IsDuplicateKeyError(err) {
			return storeError(ctx, err)
		}
		// Either the id or the place is taken.
		switch _, err := s.get(ctx, c.ID); {
		case err == nil:
			return consignment.ErrConflict
		case !errors.Is(err, consignment.ErrNotFound):
			return err
		}
		// The place was handed out twice: take another, after a pause
		// that parts the creates that collided.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mathrand.N(10 * time.Millisecond)):
		}
	}
	return fmt.Errorf("%w: no free place in creation order after %d tries", consignment.ErrUnavailable, maxPlaceTries)
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

// Get implements consignment.Repository.
func (s *Store) Get(ctx context.Context, id string) (consignment.Consignment, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return consignment.Consignment{}, fmt.Errorf("get consignment %q: %w", id, err)
	}
	return c, nil
}

func (s *Store) get(ctx context.Context, id string) (consignment.Consignment, error) {
	d, err := mongodb.FindByID[consignmentDoc](ctx, s.consignments, id)
	if err != nil {
		return consignment.Consignment{}, storeError(ctx, err)
	}
	return d.ToConsignment(d.ID)
}

// List implements consignment.Repository. A page token is the seq of the
// last consignment of the previous page, which is booked, or cancelled
// since, and so never deleted: a token is valid while that consignment
// exists (and, in an owner's listing, is the owner's). A page is one range
// query, on status_seq for every consignment and on owner_seq for an
// owner's, one consignment beyond the limit read to know whether another
// page follows.
// The two listings' tokens have prefixes of their own.
func (s *Store) List(ctx context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	prefix := tokenPrefix
	if owner != "" {
		prefix = ownerTokenPrefix
	}
	after, err := decodeToken(prefix, pageToken)
	if err != nil {
		return nil, "", err
	}
	items, next, err := s.list(ctx, owner, limit, after)
	if err != nil {
		return nil, "", fmt.Errorf("list consignments: %w", err)
	}
	return items, next, nil
}

func (s *Store) list(ctx context.Context, owner string, limit int, after int64) ([]consignment.Consignment, string, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, "", err
	}
	var (
		mine   bson.D // the listing's consignments
		prefix = tokenPrefix
	)
	if owner != "" {
		mine, prefix = bson.D{{Key: fieldOwner, Value: owner}}, ownerTokenPrefix
	}
	booked := append(slices.Clip(mine), bson.E{Key: fieldStatus, Value: record.StatusBooked})
	if after != 0 {
		filter := append(mine, bson.E{Key: fieldSeq, Value: after}, kept())
		err := s.consignments.FindOne(ctx, filter).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, "", consignment.ErrBadPageToken()
		}
		if err != nil {
			return nil, "", storeError(ctx, err)
		}
	}
	filter := append(slices.Clip(booked), bson.E{Key: fieldSeq, Value: bson.D{{Key: "$gt", Value: after}}})
	opts := options.Find().SetSort(bson.D{{Key: fieldSeq, Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit) + 1)
	}
	docs, err := s.find(ctx, filter, opts)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if limit > 0 && len(docs) > limit {
		docs = docs[:limit]
		next = encodeToken(prefix, docs[limit-1].Seq)
	}
	items, err := toConsignments(docs)
	return items, next, err
}

// Cancel implements consignment.Repository in one conditional
// findOneAndUpdate; the cancel of a cancelled consignment sets the status
// it has.
func (s *Store) Cancel(ctx context.Context, id, owner string) (consignment.Consignment, error) {
	c, err := s.cancel(ctx, id, owner)
	if err != nil {
		return consignment.Consignment{}, fmt.Errorf("cancel consignment %q: %w", id, err)
	}
	return c, nil
}

func (s *Store) cancel(ctx context.Context, id, owner string) (consignment.Consignment, error) {
	filter := bson.D{{Key: fieldID, Value: id}, kept()}
	if owner != "" {
		filter = append(filter, bson.E{Key: fieldOwner, Value: owner})
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: fieldStatus, Value: record.StatusCancelled}}}}
	var d consignmentDoc
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	if err := s.consignments.FindOneAndUpdate(ctx, filter, update, opts).Decode(&d); err != nil {
		return consignment.Consignment{}, storeError(ctx, err)
	}
	return d.ToConsignment(d.ID)
}

// kept is the filter of the consignments that are never deleted: booked
// or cancelled.
func kept() bson.E {
	return bson.E{Key: fieldStatus, Value: bson.D{{Key: "$in", Value: bson.A{record.StatusBooked, record.StatusCancelled}}}}
}

// ClaimPending implements consignment.Repository in one conditional
// update.
func (s *Store) ClaimPending(ctx context.Context, id, owner string, next consignment.Lease) error {
	res, err := s.consignments.UpdateOne(ctx, bson.D{
		{Key: fieldID, Value: id},
		{Key: fieldStatus, Value: record.StatusPending},
		{Key: fieldLeaseOwner, Value: owner},
	}, bson.D{{Key: "$set", Value: bson.D{
		{Key: fieldLeaseOwner, Value: next.Owner},
		{Key: fieldLeaseUntil, Value: next.Until.UTC()},
	}}})
	switch {
	case err != nil:
		err = storeError(ctx, err)
	case res.MatchedCount == 0:
		err = consignment.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("claim pending consignment %q: %w", id, err)
	}
	return nil
}

// DeletePending implements consignment.Repository in one conditional
// delete.
func (s *Store) DeletePending(ctx context.Context, id string) error {
	res, err := s.consignments.DeleteOne(ctx, bson.D{
		{Key: fieldID, Value: id},
		{Key: fieldStatus, Value: record.StatusPending},
	})
	switch {
	case err != nil:
		err = storeError(ctx, err)
	case res.DeletedCount == 0:
		err = consignment.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete pending consignment %q: %w", id, err)
	}
	return nil
}

// Holder implements consignment.Repository: the id is the holderDoc in
// the meta collection, which the first call on a database inserts. Of
// concurrent first calls, the insert of one succeeds and the others read
// its id.
func (s *Store) Holder(ctx context.Context) (string, error) {
	holder, err := s.holder(ctx)
	if err != nil {
		return "", fmt.Errorf("read holder id: %w", err)
	}
	return holder, nil
}

func (s *Store) holder(ctx context.Context) (string, error) {
	d, err := mongodb.FindByID[holderDoc](ctx, s.meta, holderID)
	if err == nil {
		return d.Holder, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return "", storeError(ctx, err)
	}
	_, err = s.meta.InsertOne(ctx, holderDoc{ID: holderID, Holder: rand.Text()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return "", storeError(ctx, err)
	}
	d, err = mongodb.FindByID[holderDoc](ctx, s.meta, holderID)
	if err != nil {
		return "", storeError(ctx, err)
	}
	return d.Holder, nil
}

// ListPending implements consignment.Repository; it returns them in
// creation order.
func (s *Store) ListPending(ctx context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	items, err := s.listPending(ctx, t, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending consignments: %w", err)
	}
	return items, nil
}

func (s *Store) listPending(ctx context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, err
	}
	filter := bson.D{
		{Key: fieldStatus, Value: record.StatusPending},
		{Key: fieldLeaseUntil, Value: bson.D{{Key: "$lte", Value: t.UTC()}}},
	}
	opts := options.Find().SetSort(bson.D{{Key: fieldSeq, Value: 1}}).SetLimit(int64(limit))
	docs, err := s.find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	return toConsignments(docs)
}

// find returns every document filter matches.
func (s *Store) find(ctx context.Context, filter bson.D, opts *options.FindOptions) ([]consignmentDoc, error) {
	cur, err := s.consignments.Find(ctx, filter, opts)
	if err != nil {
		return nil, storeError(ctx, err)
	}
	var docs []consignmentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(ctx, err)
	}
	return docs, nil
}

func toConsignments(docs []consignmentDoc) ([]consignment.Consignment, error) {
	out := make([]consignment.Consignment, len(docs))
	for i, d := range docs {
		c, err := d.ToConsignment(d.ID)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// storeError maps a driver error to the domain's (mongodb.MapError).
func storeError(ctx context.Context, err error) error {
	return mongodb.MapError(ctx, err, consignment.ErrNotFound, consignment.ErrUnavailable)
}

// tokenPrefix and ownerTokenPrefix mark the page tokens this package
// issues, which carry a seq (store.EncodePageToken), for the listing of
// every consignment and for an owner's: a token of the one is refused by
// the other.
const (
	tokenPrefix      = "mongo1:"
	ownerTokenPrefix = "mongo1o:"
)

func encodeToken(prefix string, seq int64) string {
	return store.EncodePageToken(prefix, uint64(seq))
}

// decodeToken returns the seq a page token of prefix carries, 0 for the
// empty token, or a *FieldError on "page_token". List then checks that a
// booked or cancelled consignment of the listing has that seq.
func decodeToken(prefix, token string) (int64, error) {
	seq, ok := store.DecodePageToken(prefix, token)
	if !ok || seq > math.MaxInt64 {
		return 0, consignment.ErrBadPageToken()
	}
	return int64(seq), nil
}
