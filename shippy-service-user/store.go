package main

import (
	"context"
	"io"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-user/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// repository is what the service's store is: the domain's repository, and
// the outbox its relay publishes the events Create stored from. An alias
// of the same interface as storetest.Repository, whose contract it keeps.
type repository = interface {
	user.Repository
	outbox.Store
}

// backends opens the user store in a bbolt file or over a MongoDB
// database (store.Open).
func backends() store.Backends[repository] {
	return store.Backends[repository]{
		Holds: holds, File: "user.db",
		OpenBolt: func(path string) (repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (repository, error) { return mongostore.New(db) },
	}
}

// telemetryNone leaves the store's calls without spans of their own: the
// RPC's span covers them.
func telemetryNone(repo repository, _ trace.TracerProvider, _ string) repository {
	return repo
}

// notifying is a repository that calls notify after every Create that
// stored events, so that the relay publishes them at once.
type notifying struct {
	repository
	notify func()
}

// Create is the repository's, followed by notify when it succeeded.
func (r notifying) Create(ctx context.Context, a user.Account, events ...outbox.Message) error {
	err := r.repository.Create(ctx, a, events...)
	if err == nil && len(events) > 0 {
		r.notify()
	}
	return err
}
