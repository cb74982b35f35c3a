package storetesting

import (
	"testing"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// Backends say how a service's contract suite opens a new, empty
// repository on each storage backend. Each function is called once per
// subtest and must release what it opens in t.Cleanup.
type Backends[R any] struct {
	// Memory returns a repository kept in memory.
	Memory func() R
	// Bolt opens a repository in a new bbolt file.
	Bolt func(t *testing.T) R
	// Mongo returns a repository over db, a new database of its own.
	Mongo func(db *mongo.Database) (R, error)
}

// RunContract runs a service's contract suite (run: its storetest.Run) on
// every backend of b, each in a parallel subtest of t named after it
// (memory, bolt, mongo). The mongo subtest uses the server mongotest gives,
// with MongoOptions.
func RunContract[R any](t *testing.T, run func(*testing.T, func(*testing.T) R, ...Options), b Backends[R]) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		run(t, func(*testing.T) R { return b.Memory() })
	})
	t.Run("bolt", func(t *testing.T) {
		t.Parallel()
		run(t, b.Bolt)
	})
	t.Run("mongo", func(t *testing.T) {
		t.Parallel()
		run(t, func(t *testing.T) R {
			repo, err := b.Mongo(mongotest.NewDatabase(t))
			if err != nil {
				t.Fatalf("open a Mongo repository: %v", err)
			}
			return repo
		}, MongoOptions(t))
	})
}
