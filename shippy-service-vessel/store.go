package main

import (
	"io"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-vessel/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// backends opens the vessel store in a bbolt file or over a MongoDB
// database (store.Open).
func backends() store.Backends[vessel.Repository] {
	return store.Backends[vessel.Repository]{
		Holds: holds, File: "vessel.db",
		OpenBolt: func(path string) (vessel.Repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (vessel.Repository, error) { return mongostore.New(db) },
	}
}
