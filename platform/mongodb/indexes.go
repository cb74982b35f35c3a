package mongodb

import (
	"context"
	"fmt"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/mongo"
	"golang.org/x/sync/singleflight"
)

// Indexes makes a collection's indexes on first use. Concurrent calls of
// Ensure share one attempt, and a failed attempt is made again by the next
// call. Creating an index that exists does nothing, so instances sharing
// the database may do it at once. It is safe for concurrent use.
type Indexes struct {
	coll   *mongo.Collection
	models []mongo.IndexModel // each with a name, for errors
	done   atomic.Bool        // the indexes exist
	group  singleflight.Group // the attempt at creating them
}

// NewIndexes returns the Indexes of coll; every model must be named
// (options.Index().SetName).
func NewIndexes(coll *mongo.Collection, models []mongo.IndexModel) *Indexes {
	return &Indexes{coll: coll, models: models}
}

// Ensure creates the indexes unless an earlier call has. Its error names
// the index and wraps the driver's (for MapError).
func (ix *Indexes) Ensure(ctx context.Context) error {
	if ix.done.Load() {
		return nil
	}
	_, err, _ := ix.group.Do("indexes", func() (any, error) {
		// One index at a time: FerretDB v1 panics on a createIndexes of
		// several indexes that exist.
		for _, model := range ix.models {
			if _, err := ix.coll.Indexes().CreateOne(ctx, model); err != nil {
				return nil, fmt.Errorf("create index %s: %w", *model.Options.Name, err)
			}
		}
		ix.done.Store(true)
		return nil, nil
	})
	return err
}
