package storetesting

import (
	"path/filepath"
	"testing"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// RunContract runs a service's contract suite (run: its storetest.Run) on
// every backend, each in a parallel subtest of t named after it: a
// repository memory returns, one b.OpenBolt opens in a new file (closed
// when its subtest ends), and one b.NewMongo returns
// over a new database of the server mongotest gives, with MongoOptions.
func RunContract[R any](t *testing.T, run func(*testing.T, func(*testing.T) R, ...Options), b store.Backends[R], memory func() R) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		run(t, func(*testing.T) R { return memory() })
	})
	t.Run("bolt", func(t *testing.T) {
		t.Parallel()
		run(t, func(t *testing.T) R {
			repo, file, err := b.OpenBolt(filepath.Join(t.TempDir(), b.File))
			if err != nil {
				t.Fatalf("open the store: %v", err)
			}
			t.Cleanup(func() {
				if err := file.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			return repo
		})
	})
	t.Run("mongo", func(t *testing.T) {
		t.Parallel()
		run(t, func(t *testing.T) R { return MustOpen(t, b.NewMongo, mongotest.NewDatabase(t)) }, MongoOptions(t))
	})
}

// mustOpen returns open(at), failing the test on an error.
func MustOpen[R, A any](t *testing.T, open func(A) (R, error), at A) R {
	t.Helper()
	repo, err := open(at)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	return repo
}
