// Package mongodb is the MongoDB plumbing every service's mongo store
// shares: clients with the suite's timeouts (Connect), and driver errors
// mapped to a store's domain errors (MapError). See docs/mongo-stores.md.
package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// OperationTimeout bounds an operation of a client made by Connect when
// its context has no deadline of its own, so that a server that accepts
// connections but no longer answers cannot hold a call forever.
const OperationTimeout = 30 * time.Second

// Connect returns a client of the MongoDB at uri, a connection string
// ("mongodb://host:27017"). Finding a server for an operation gives up
// after selectTimeout, so while the server is down or unreachable a call
// fails with a server selection error (which the stores map to their
// ErrUnavailable) in about that time.
//
// Connect does not wait for the server: the driver connects in the
// background and reconnects by itself after an outage. It fails only when
// uri is not a valid connection string. Disconnect the client when done.
func Connect(uri string, selectTimeout time.Duration) (*mongo.Client, error) {
	opts := options.Client().
		ApplyURI(uri).
		SetServerSelectionTimeout(selectTimeout).
		SetTimeout(OperationTimeout)
	client, err := mongo.Connect(context.Background(), opts)
	if err != nil {
		return nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	return client, nil
}

// FindByID returns the document of coll whose _id is id, decoded into a D.
// Its error is the driver's, mongo.ErrNoDocuments when there is none: give
// it to MapError for the store's domain errors.
func FindByID[D any](ctx context.Context, coll *mongo.Collection, id string, opts ...*options.FindOneOptions) (D, error) {
	var d D
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts...).Decode(&d)
	return d, err
}

// NextSeq takes the next number of the counter named id, a document
// {_id: id, seq: N} in counters: 1 the first time, when it creates the
// counter. Concurrent calls, from any process, get distinct numbers. It is
// how the stores give each record its place in creation order.
func NextSeq(ctx context.Context, counters *mongo.Collection, id string) (int64, error) {
	var counter struct {
		Seq int64 `bson:"seq"` // the last number handed out
	}
	for try := 1; ; try++ {
		err := counters.FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
		).Decode(&counter)
		if mongo.IsDuplicateKeyError(err) && try == 1 {
			continue // a concurrent first call created the counter
		}
		if err != nil {
			return 0, err
		}
		return counter.Seq, nil
	}
}
