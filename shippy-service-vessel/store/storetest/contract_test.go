package storetest_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/store/storetesting"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	mongostore "github.com/shippy-suite/shippy/shippy-service-vessel/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestContract runs the contract suite on every backend.
func TestContract(t *testing.T) {
	t.Parallel()
	storetesting.RunContract(t, storetest.Run, storetesting.Backends[vessel.Repository]{
		Memory: func() vessel.Repository { return memory.New() },
		Bolt: func(t *testing.T) vessel.Repository {
			return boltdbtest.MustOpen(t, bolt.Open, boltdbtest.Path(t, "vessels.db"))
		},
		Mongo: func(db *mongo.Database) (vessel.Repository, error) { return mongostore.New(db) },
	})
}
