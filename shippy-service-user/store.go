package main

import (
	"io"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-user/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// backends opens the user store in a bbolt file or over a MongoDB
// database (store.Open).
func backends() store.Backends[user.Repository] {
	return store.Backends[user.Repository]{
		Holds: holds, File: "user.db",
		OpenBolt: func(path string) (user.Repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (user.Repository, error) { return mongostore.New(db) },
	}
}

// telemetryNone leaves the store's calls without spans of their own: the
// RPC's span covers them.
func telemetryNone(repo user.Repository, _ trace.TracerProvider, _ string) user.Repository {
	return repo
}
