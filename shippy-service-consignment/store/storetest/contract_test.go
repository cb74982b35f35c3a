package storetest_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/store/storetesting"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/storetest"
)

// TestContract runs the contract suite on every backend.
func TestContract(t *testing.T) {
	t.Parallel()
	storetesting.RunContract(t, storetest.Run, storetesting.Backends[consignment.Repository]{
		Memory: func() consignment.Repository { return memory.New() },
		Bolt: func(t *testing.T) consignment.Repository {
			return boltdbtest.MustOpen(t, bolt.Open, boltdbtest.Path(t, "consignments.db"))
		},
		Mongo: func(db *mongo.Database) (consignment.Repository, error) { return mongostore.New(db) },
	})
}
