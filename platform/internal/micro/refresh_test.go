package micro

import (
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/cache"

	"github.com/shippy-suite/shippy/testenv"
)

// countingRegistry counts the lookups made through it.
type countingRegistry struct {
	registry.Registry
	lookups atomic.Int32
}

func (c *countingRegistry) GetService(name string, opts ...registry.GetOption) ([]*registry.Service, error) {
	c.lookups.Add(1)
	return c.Registry.GetService(name, opts...)
}

// registerNode registers one node of service "svc" in reg.
func registerNode(t *testing.T, reg registry.Registry, id string) {
	t.Helper()
	err := reg.Register(&registry.Service{Name: "svc", Version: "1", Nodes: []*registry.Node{{Id: id, Address: "127.0.0.1:1"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// next is w.Next, failing the test when it blocks for 10 s.
func next(t *testing.T, w registry.Watcher) (*registry.Result, error) {
	t.Helper()
	type answer struct {
		res *registry.Result
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := w.Next()
		got <- answer{res, err}
	}()
	a := testenv.Receive(t, "Next to return", got, 10*time.Second)
	return a.res, a.err
}

// TestRefreshingWatcher checks the events of a watch of one service: the
// registry's own (for a new node) and an "update" from each lookup; and
// that Next fails once the watcher is stopped.
func TestRefreshingWatcher(t *testing.T) {
	t.Parallel()
	mem := registry.NewMemoryRegistry()
	registerNode(t, mem, "n1")
	w, err := NewRefreshingRegistry(mem, 10*time.Millisecond).Watch(registry.WatchService("svc"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := next(t, w)
	if err != nil || res.Action != "update" || len(res.Service.Nodes) != 1 || res.Service.Nodes[0].Id != "n1" {
		t.Fatalf("first event = %+v, %v; want an update with node n1", res, err)
	}
	registerNode(t, mem, "n2")
	for {
		res, err := next(t, w)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		// The memory registry's own event is an update with the node
		// registered alone; a lookup's has both nodes.
		if nodes := res.Service.Nodes; len(nodes) == 1 && nodes[0].Id == "n2" {
			break
		}
	}
	w.Stop()
	if _, err := next(t, w); err == nil {
		t.Error("Next after Stop: no error, want one")
	}
}

// TestRefreshingWatcherAllServices checks that a watch of every service
// is the registry's own, with no lookups.
func TestRefreshingWatcherAllServices(t *testing.T) {
	t.Parallel()
	counting := &countingRegistry{Registry: registry.NewMemoryRegistry()}
	w, err := NewRefreshingRegistry(counting, time.Millisecond).Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, ok := w.(*refreshingWatcher); ok {
		t.Error("a watch of every service looks services up")
	}
}

// TestRefreshingRegistryKeepsCacheFresh runs go-micro's registry cache,
// as a client's selector does, with a short TTL over a refreshing
// registry: after the first lookup, the cache's entry never expires, so
// the cache never looks the service up again (a lookup a call would wait
// for: over mDNS, all of platform.MDNSTimeout).
func TestRefreshingRegistryKeepsCacheFresh(t *testing.T) {
	t.Parallel()
	const ttl = 500 * time.Millisecond
	t.Run("refreshed", func(t *testing.T) {
		t.Parallel()
		if got := cacheLookups(t, ttl, 20*time.Millisecond); got != 1 {
			t.Errorf("the cache looked svc up %d times in %s with a TTL of %s; want once", got, 4*ttl, ttl)
		}
	})
	// This case fails once go-micro's cache stops expiring the entries it
	// watches: then the workaround can go.
	t.Run("not refreshed", func(t *testing.T) {
		t.Parallel()
		if got := cacheLookups(t, ttl, time.Hour); got == 1 {
			t.Errorf("the cache looked svc up once in %s with a TTL of %s and no refresh; want again as the entry expires", 4*ttl, ttl)
		}
	})
}

// cacheLookups runs go-micro's registry cache with ttl over a refreshing
// registry that refreshes every interval, reads svc from it for four TTLs,
// and returns how many lookups the cache made.
func cacheLookups(t *testing.T, ttl, interval time.Duration) int32 {
	t.Helper()
	mem := registry.NewMemoryRegistry()
	registerNode(t, mem, "n1")
	// The cache's lookups go through counting; the refreshes go to mem.
	counting := &countingRegistry{Registry: NewRefreshingRegistry(mem, interval)}
	c := cache.New(counting, cache.WithTTL(ttl))
	defer c.Stop()
	for end := time.Now().Add(4 * ttl); time.Now().Before(end); time.Sleep(ttl / 10) {
		services, err := c.GetService("svc")
		if err != nil || len(services) != 1 || len(services[0].Nodes) != 1 {
			t.Fatalf("GetService = %v, %v; want svc with one node", services, err)
		}
	}
	return counting.lookups.Load()
}
