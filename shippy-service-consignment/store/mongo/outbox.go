package mongo

import (
	"context"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// The events to publish are in their consignment's document, in its
// outbox array, written by the insert of the consignment; Done pulls them
// from it (docs/outbox.md).

// pendingFilter matches the consignments with events in their outbox (an
// empty outbox has no outbox.id).
var pendingFilter = bson.D{{Key: fieldOutboxID, Value: bson.D{{Key: "$exists", Value: true}}}}

// Pending implements outbox.Store: the events of the consignments with
// pending events, in creation order, up to limit.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	out, err := s.pending(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

func (s *Store) pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, err
	}
	opts := options.Find().
		SetSort(bson.D{{Key: fieldSeq, Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: fieldOutbox, Value: 1}})
	cur, err := s.consignments.Find(ctx, pendingFilter, opts)
	if err != nil {
		return nil, storeError(ctx, err)
	}
	var docs []struct {
		Outbox []eventDoc `bson:"outbox"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(ctx, err)
	}
	var out []outbox.Message
	for _, d := range docs {
		for _, e := range d.Outbox {
			if len(out) == limit {
				return out, nil
			}
			out = append(out, e.message())
		}
	}
	return out, nil
}

// Done implements outbox.Store: it removes the events with the ids from
// their consignments' outboxes, one single-document update each. The
// update pulls the events as read ($pullAll), not by a condition on their
// id: FerretDB ignores the conditions of $pull.
func (s *Store) Done(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.done(ctx, ids); err != nil {
		return fmt.Errorf("mark %d events done: %w", len(ids), err)
	}
	return nil
}

func (s *Store) done(ctx context.Context, ids []string) error {
	if err := s.setUp(ctx); err != nil {
		return err
	}
	filter := bson.D{{Key: fieldOutboxID, Value: bson.D{{Key: "$in", Value: ids}}}}
	cur, err := s.consignments.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: fieldOutbox, Value: 1}}))
	if err != nil {
		return storeError(ctx, err)
	}
	var docs []struct {
		ID     string     `bson:"_id"`
		Outbox []bson.Raw `bson:"outbox"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return storeError(ctx, err)
	}
	for _, d := range docs {
		var pull bson.A
		for _, e := range d.Outbox {
			if id, ok := e.Lookup("id").StringValueOK(); ok && slices.Contains(ids, id) {
				pull = append(pull, e)
			}
		}
		update := bson.D{{Key: "$pullAll", Value: bson.D{{Key: fieldOutbox, Value: pull}}}}
		if _, err := s.consignments.UpdateOne(ctx, bson.D{{Key: fieldID, Value: d.ID}}, update); err != nil {
			return storeError(ctx, err)
		}
	}
	return nil
}

// Count implements outbox.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := s.count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}

func (s *Store) count(ctx context.Context) (int, error) {
	if err := s.setUp(ctx); err != nil {
		return 0, err
	}
	cur, err := s.consignments.Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: pendingFilter}},
		bson.D{{Key: "$unwind", Value: "$" + fieldOutbox}},
		bson.D{{Key: "$count", Value: "n"}},
	})
	if err != nil {
		return 0, storeError(ctx, err)
	}
	var res []struct {
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &res); err != nil {
		return 0, storeError(ctx, err)
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0].N, nil
}
