package mongodb

import (
	"context"
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

// Outbox is the outbox embedded in the documents of Collection, in their
// FieldOutbox array (docs/outbox.md). Its methods return the driver's
// errors as they are: the store maps them (MapError).
type Outbox struct {
	Collection *mongo.Collection
	// Order is the field that orders the documents by creation, unique.
	Order string
}

// pendingFilter matches the documents with events in their outbox (an
// empty outbox has no outbox.id).
var pendingFilter = bson.D{{Key: FieldOutboxID, Value: bson.D{{Key: "$exists", Value: true}}}}

// Pending returns the events of the documents with pending events, in the
// documents' Order, up to limit.
func (o Outbox) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
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

// Done removes the events with the ids from their documents' outboxes,
// one single-document update each; ids not pending are skipped. The update
// pulls the events as read ($pullAll), not by a condition on their id:
// FerretDB ignores the conditions of $pull.
func (o Outbox) Done(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
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

// Count returns how many events are pending.
func (o Outbox) Count(ctx context.Context) (int, error) {
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
