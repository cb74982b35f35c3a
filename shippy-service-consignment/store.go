package main

import (
	"io"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
)

// backends makes the consignment repository on the backend the
// configuration chooses (store.Open).
func backends() store.Backends[consignment.Repository] {
	return store.Backends[consignment.Repository]{
		Holds: holds, File: "consignment.db",
		OpenBolt: func(path string) (consignment.Repository, io.Closer, error) {
			s, err := bolt.Open(path)
			return s, s, err
		},
		NewMongo: func(db *mongo.Database) (consignment.Repository, error) { return mongostore.New(db) },
	}
}
