package main

import (
	"io"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-notification/store/mongo"
)

// backends opens the notification store in a bbolt file or over a MongoDB
// database (store.Open).
func backends() store.Backends[notification.Repository] {
	return store.Backends[notification.Repository]{
		Holds: holds, File: "notification.db",
		OpenBolt: func(path string) (notification.Repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (notification.Repository, error) { return mongostore.New(db) },
	}
}

// telemetryNone leaves the store's calls without spans of their own.
func telemetryNone(repo notification.Repository, _ trace.TracerProvider, _ string) notification.Repository {
	return repo
}
