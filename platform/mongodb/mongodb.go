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
