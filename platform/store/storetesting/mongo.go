package storetesting

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// OutageCallTimeout is the client timeout of the Mongo stores' outage
// tests: how long a call on a stopped server may take to fail.
const OutageCallTimeout = time.Second

// MongoOptions are the Options of a contract suite run on the server
// mongotest gives: a real MongoDB when SHIPPY_TEST_MONGO_URI names one,
// FerretDB otherwise, on which the concurrency subtests skip (FerretDB v1
// does not apply concurrent updates of one document atomically).
func MongoOptions(t *testing.T) Options {
	t.Helper()
	if mongotest.IsFerretDB(t, mongotest.Start(t)) {
		return Options{SkipConcurrency: mongotest.FerretDBNotAtomic}
	}
	return Options{}
}

// MongoConfig returns the storage configuration of a service whose
// MONGO_URI is uri, with a DataDir that does not exist, for
// AssertNotCreated to check that the Mongo store leaves it alone.
func MongoConfig(t *testing.T, uri string) store.Config {
	return store.Config{MongoURI: uri, MongoURIFrom: store.EnvMongoURI, DataDir: filepath.Join(t.TempDir(), "unused")}
}

// MongoInstances returns n handles of one new database on the server
// mongotest gives, each through a client of its own, as n service
// instances sharing the database see it. It skips the test on FerretDB,
// which does not make concurrent updates atomic.
func MongoInstances(t *testing.T, n int) []*mongo.Database {
	t.Helper()
	uri := mongotest.Start(t)
	if mongotest.IsFerretDB(t, uri) {
		t.Skip(mongotest.FerretDBNotAtomic)
	}
	name := mongotest.NewDatabase(t).Name()
	dbs := make([]*mongo.Database, n)
	for i := range dbs {
		dbs[i] = ConnectMongo(t, uri, store.MongoSelectTimeout).Database(name)
	}
	return dbs
}

// ConnectMongo returns a client of the server at uri made as the services
// make theirs (mongodb.Connect), with selectTimeout: while the server is
// down, calls fail within about that long. The client is disconnected
// when the test ends. The services' database is
// client.Database(store.MongoDatabase).
func ConnectMongo(tb testing.TB, uri string, selectTimeout time.Duration) *mongo.Client {
	tb.Helper()
	client, err := mongodb.Connect(uri, selectTimeout)
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client
}

// FerretDB starts a FerretDB process for this test alone
// (mongotest.StartFerretDB), to stop and restart, and returns it with the
// services' database on it, reached through a client made as the services
// make theirs with selectTimeout (ConnectMongo).
func FerretDB(t *testing.T, selectTimeout time.Duration) (*mongotest.Server, *mongo.Database) {
	t.Helper()
	srv := mongotest.StartFerretDB(t)
	return srv, ConnectMongo(t, srv.URI(), selectTimeout).Database(store.MongoDatabase)
}

// StoppedFerretDB is FerretDB with the process stopped: it returns the
// services' database on it, and restart, which starts the process again on
// the same address and data.
func StoppedFerretDB(t *testing.T, selectTimeout time.Duration) (db *mongo.Database, restart func()) {
	t.Helper()
	srv, db := FerretDB(t, selectTimeout)
	srv.Stop(t)
	return db, func() { srv.Restart(t) }
}

// ThroughOutage makes the calls call(0), call(1), ... one after the
// other, and kills srv (mongotest.Server.Stop, as a crash) before
// call(stopAfter), until three calls in a row have failed. Each call must
// succeed or fail with unavailable, those after the stop must fail, and
// each must end within within. It returns how many calls it made; the
// server stays stopped.
func ThroughOutage(t *testing.T, srv *mongotest.Server, stopAfter int, call func(i int) error, unavailable error, within time.Duration) int {
	t.Helper()
	const failuresToSee = 3
	i := 0
	for failures := 0; failures < failuresToSee; i++ {
		if i == stopAfter {
			srv.Stop(t)
		}
		start := time.Now()
		err := call(i)
		if d := time.Since(start); d > within {
			t.Errorf("call %d took %v, want at most %v", i, d, within)
		}
		switch {
		case err == nil && i >= stopAfter:
			t.Fatalf("call %d succeeded with the server stopped", i)
		case err == nil:
		case errors.Is(err, unavailable):
			failures++
		default:
			t.Fatalf("call %d: error %v, want nil or %v", i, err, unavailable)
		}
	}
	return i
}
