package mongodb

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/x/mongo/driver"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

// MapError maps a driver error to a store's domain errors: no document
// becomes notFound, and an error that says the server could not be
// reached, or did not answer in time while ctx still had time, matches
// unavailable (and still matches the driver's error). nil and other
// errors pass unchanged.
func MapError(ctx context.Context, err error, notFound, unavailable error) error {
	var (
		selection topology.ServerSelectionError
		conn      topology.ConnectionError
		pool      driver.RetryablePoolError // the connection pool was cleared
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return notFound
	case errors.As(err, &selection),
		errors.As(err, &conn),
		errors.As(err, &pool) && pool.Retryable(),
		mongo.IsNetworkError(err),
		errors.Is(err, mongo.ErrClientDisconnected),
		mongo.IsTimeout(err) && ctx.Err() == nil:
		return fmt.Errorf("%w: %w", unavailable, err)
	}
	return err
}
