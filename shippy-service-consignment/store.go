package main

import (
	"context"
	"io"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-consignment/telemetry"
)

// repository is what the service's store is: the domain's repository, and
// the outbox its relay publishes the events Create stored from. An alias
// of the same interface as storetest.Repository, whose contract it keeps.
type repository = interface {
	consignment.Repository
	outbox.Store
}

// backends makes the consignment repository on the backend the
// configuration chooses (store.Open).
func backends() store.Backends[repository] {
	return store.Backends[repository]{
		Holds: holds, File: "consignment.db",
		OpenBolt: func(path string) (repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (repository, error) { return mongostore.New(db) },
	}
}

// traceRepository is telemetry.TraceRepository for the repository's
// domain part; the relay's outbox calls make no spans.
func traceRepository(repo repository, tp trace.TracerProvider, system string) repository {
	return struct {
		consignment.Repository
		outbox.Store
	}{telemetry.TraceRepository(repo, tp, system), repo}
}

// notifying is a repository that calls notify after every Create that
// stored, so that the relay publishes the new events at once.
type notifying struct {
	repository
	notify func()
}

// Create is the repository's, followed by notify when it succeeded.
func (r notifying) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	err := r.repository.Create(ctx, c, events...)
	if err == nil && len(events) > 0 {
		r.notify()
	}
	return err
}
