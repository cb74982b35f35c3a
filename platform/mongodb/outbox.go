package mongodb

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// Field names of an outbox embedded in the documents of a collection
// (Outbox).
const (
	// FieldOutbox is the array of a document's events waiting to be
	// published: OutboxEvents.
	FieldOutbox = "outbox"
	// FieldOutboxID is the event ids in it, indexed by OutboxIndex.
	FieldOutboxID = FieldOutbox + ".id"
)

// OutboxEvent is an event in a document's outbox array (outbox.Message).
type OutboxEvent struct {
	ID        string    `bson:"id"`
	Subject   string    `bson:"subject"`
	Data      []byte    `bson:"data"`
	CreatedAt time.Time `bson:"created_at"`
}

// OutboxEvents returns the outbox array of the messages, for the document
// of the fact they announce: written by the insert of that document, they
// are stored with it or not at all.
func OutboxEvents(ms []outbox.Message) []OutboxEvent {
	var out []OutboxEvent
	for _, m := range ms {
		out = append(out, OutboxEvent{ID: m.ID, Subject: m.Subject, Data: m.Data, CreatedAt: m.CreatedAt})
	}
	return out
}

// Message returns the outbox.Message of e, its time in UTC.
func (e OutboxEvent) Message() outbox.Message {
	return outbox.Message{ID: e.ID, Subject: e.Subject, Data: e.Data, CreatedAt: e.CreatedAt.UTC()}
}

// OutboxIndex is the sparse index on the ids of the events waiting in the
// documents' outboxes, which Pending, Done and Count look them up by.
func OutboxIndex() mongo.IndexModel {
	return mongo.IndexModel{
		Keys:    bson.D{{Key: FieldOutboxID, Value: 1}},
		Options: options.Index().SetName("outbox_id").SetSparse(true),
	}
}

// Outbox is the outbox.Store embedded in the documents of Collection, in
// their FieldOutbox array (docs/outbox.md), for a store to embed. Its
// errors say what it did.
type Outbox struct {
	Collection *mongo.Collection
	// Order is the field that orders the documents by creation, unique.
	Order string
	// SetUp, when set, runs before each call (the store's lazy index
	// creation); its error is returned as it is.
	SetUp func(ctx context.Context) error
	// MapError, when set, maps the driver's errors to the store's domain
	// errors (MapError with the store's sentinels).
	MapError func(ctx context.Context, err error) error
}

var _ outbox.Store = Outbox{}

// run runs SetUp, then call, and maps call's error; what says what the
// call does, for the error.
func (o Outbox) run(ctx context.Context, what string, call func() error) error {
	if o.SetUp != nil {
		if err := o.SetUp(ctx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	err := call()
	if err != nil && o.MapError != nil {
		err = o.MapError(ctx, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// pendingFilter matches the documents with events in their outbox (an
// empty outbox has no outbox.id).
var pendingFilter = bson.D{{Key: FieldOutboxID, Value: bson.D{{Key: "$exists", Value: true}}}}

// Pending implements outbox.Store: the events of the documents with
// pending events, in the documents' Order, up to limit.
func (o Outbox) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := o.run(ctx, "read the outbox", func() error {
		var err error
		out, err = o.pending(ctx, limit)
		return err
	})
	return out, err
}

func (o Outbox) pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	opts := options.Find().
		SetSort(bson.D{{Key: o.Order, Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: FieldOutbox, Value: 1}})
	cur, err := o.Collection.Find(ctx, pendingFilter, opts)
	if err != nil {
		return nil, err
	}
	var docs []struct {
		Outbox []OutboxEvent `bson:"outbox"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	var out []outbox.Message
	for _, d := range docs {
		for _, e := range d.Outbox {
			if len(out) == limit {
				return out, nil
			}
			out = append(out, e.Message())
		}
	}
	return out, nil
}

// Done implements outbox.Store: it removes the events with the ids from
// their documents' outboxes, one single-document update each; ids not
// pending are skipped. The update pulls the events as read ($pullAll),
// not by a condition on their id: FerretDB ignores the conditions of
// $pull.
func (o Outbox) Done(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return o.run(ctx, fmt.Sprintf("mark %d events done", len(ids)), func() error { return o.done(ctx, ids) })
}

func (o Outbox) done(ctx context.Context, ids []string) error {
	filter := bson.D{{Key: FieldOutboxID, Value: bson.D{{Key: "$in", Value: ids}}}}
	cur, err := o.Collection.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: FieldOutbox, Value: 1}}))
	if err != nil {
		return err
	}
	var docs []struct {
		ID     any        `bson:"_id"`
		Outbox []bson.Raw `bson:"outbox"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	for _, d := range docs {
		var pull bson.A
		for _, e := range d.Outbox {
			if id, ok := e.Lookup("id").StringValueOK(); ok && slices.Contains(ids, id) {
				pull = append(pull, e)
			}
		}
		update := bson.D{{Key: "$pullAll", Value: bson.D{{Key: FieldOutbox, Value: pull}}}}
		if _, err := o.Collection.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, update); err != nil {
			return err
		}
	}
	return nil
}

// Count implements outbox.Store.
func (o Outbox) Count(ctx context.Context) (int, error) {
	var n int
	err := o.run(ctx, "count the outbox", func() error {
		var err error
		n, err = o.count(ctx)
		return err
	})
	return n, err
}

func (o Outbox) count(ctx context.Context) (int, error) {
	cur, err := o.Collection.Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: pendingFilter}},
		bson.D{{Key: "$unwind", Value: "$" + FieldOutbox}},
		bson.D{{Key: "$count", Value: "n"}},
	})
	if err != nil {
		return 0, err
	}
	var res []struct {
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &res); err != nil {
		return 0, err
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0].N, nil
}
