package micro

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/cache"
	"go-micro.dev/v5/util/mdns"

	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// The mDNS tests run in a private network namespace: mDNS never leaves it.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// The mDNS tests below are not parallel: TestFirstAnswerLookupsEnd looks
// for the goroutines of every lookup in the process.

// TestFirstAnswerThroughCache looks a service up through go-micro's
// registry cache, as a client's selector does, over real mDNS. The lookup
// returns at the first answer, with one instance (go-micro's own waits out
// its 2 s timeout and returns every one), and the other instances reach
// the cache soon after: one that answers a second later as it answers, and
// one that answers at once (before the cache watches the service) when the
// query ends.
func TestFirstAnswerThroughCache(t *testing.T) {
	netns.Require(t)
	tests := []struct {
		name  string
		id    string        // the second instance
		delay time.Duration // how late it answers
		first []string      // the instances the lookup may return
	}{
		{name: "a second instance answers later", id: "late-1", delay: time.Second, first: []string{"prompt-1"}},
		{name: "two instances answer at once", id: "prompt-2", first: []string{"prompt-1", "prompt-2"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("firstanswer.cache%d", i)
			registerMDNS(t, name, "prompt-1")
			answer(t, name, tt.id, tt.delay)
			all := slices.Sorted(slices.Values([]string{"prompt-1", tt.id}))

			c := cache.New(NewFirstAnswerRegistry(registry.NewMDNSRegistry(registry.Timeout(2 * time.Second))))
			defer c.Stop()
			services, err := c.GetService(name)
			if err != nil {
				t.Fatalf("GetService: %v", err)
			}
			if got := nodeIDs(services); len(got) != 1 || !slices.Contains(tt.first, got[0]) {
				t.Fatalf("GetService: nodes %q, want one of %q alone: the lookup waited for later answers", got, tt.first)
			}
			testenv.WaitFor(t, "every instance to reach the cache", func() bool {
				services, err := c.GetService(name)
				return err == nil && slices.Equal(nodeIDs(services), all)
			})
		})
	}
}

// TestFirstAnswerWatchMadeLater checks that a watch made after every
// instance answered a lookup (as go-micro's cache may start its watch up
// to 100 ms after its first lookup) still gets them all, when the query
// ends: a first watch sees the second answer come, then a second watch is
// made.
func TestFirstAnswerWatchMadeLater(t *testing.T) {
	netns.Require(t)
	const name = "firstanswer.watchlater"
	answer(t, name, "prompt-1", 0)
	answer(t, name, "prompt-2", 0)
	reg := NewFirstAnswerRegistry(registry.NewMDNSRegistry(registry.Timeout(time.Second)))
	both := func(t *testing.T, w registry.Watcher) {
		t.Helper()
		for {
			res, err := next(t, w)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if res.Action == "update" && slices.Equal(nodeIDs([]*registry.Service{res.Service}), []string{"prompt-1", "prompt-2"}) {
				return
			}
		}
	}
	early, err := reg.Watch(registry.WatchService(name))
	if err != nil {
		t.Fatal(err)
	}
	defer early.Stop()
	if services, err := reg.GetService(name); err != nil || len(nodeIDs(services)) != 1 {
		t.Fatalf("GetService = %v, %v; want one node", services, err)
	}
	both(t, early)
	late, err := reg.Watch(registry.WatchService(name))
	if err != nil {
		t.Fatal(err)
	}
	defer late.Stop()
	both(t, late)
}

// TestFirstAnswerNotFound checks that a lookup of a service nobody offers
// listens for the whole timeout, and that the cache then reports it as not
// found.
func TestFirstAnswerNotFound(t *testing.T) {
	netns.Require(t)
	const timeout = 500 * time.Millisecond
	c := cache.New(NewFirstAnswerRegistry(registry.NewMDNSRegistry(registry.Timeout(timeout))))
	defer c.Stop()
	start := time.Now()
	_, err := c.GetService("firstanswer.absent")
	took := time.Since(start)
	if !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("GetService: error %v, want registry.ErrNotFound", err)
	}
	if took < timeout || took > 10*timeout {
		t.Errorf("GetService failed after %s, want after the timeout, %s", took, timeout)
	}
}

// TestFirstAnswerLookupsEnd checks that a lookup that returned early stops
// listening at its timeout, as one that found nothing does: no goroutine
// of either is left.
func TestFirstAnswerLookupsEnd(t *testing.T) {
	netns.Require(t)
	const name = "firstanswer.ends"
	registerMDNS(t, name, "prompt-1")
	reg := NewFirstAnswerRegistry(registry.NewMDNSRegistry(registry.Timeout(300 * time.Millisecond)))
	if services, err := reg.GetService(name); err != nil || len(nodeIDs(services)) != 1 {
		t.Fatalf("GetService(%s) = %v, %v; want one node", name, services, err)
	}
	if services, err := reg.GetService("firstanswer.absent"); err != nil || len(services) != 0 {
		t.Fatalf("GetService(firstanswer.absent) = %v, %v; want nothing", services, err)
	}
	testenv.WaitFor(t, "the lookups' goroutines to end", func() bool { return lookupGoroutines() == "" })
}

// TestFirstAnswerWatchers checks where published updates go: to the
// watchers of their service and of every service, not to others, and no
// longer once a watcher is stopped.
func TestFirstAnswerWatchers(t *testing.T) {
	t.Parallel()
	reg := NewFirstAnswerRegistry(registry.NewMemoryRegistry()).(*firstAnswerRegistry)
	watch := func(opts ...registry.WatchOption) *laterWatcher {
		w, err := reg.Watch(opts...)
		if err != nil {
			t.Fatal(err)
		}
		return w.(*laterWatcher)
	}
	mine, every, other := watch(registry.WatchService("svc")), watch(), watch(registry.WatchService("other"))
	defer other.Stop()
	defer every.Stop()
	reg.publish(&registry.Service{Name: "svc", Version: "1", Nodes: []*registry.Node{{Id: "n1"}}})
	for _, w := range []*laterWatcher{mine, every} {
		res, err := next(t, w)
		if err != nil || res.Action != "update" || res.Service.Name != "svc" || nodeIDs([]*registry.Service{res.Service})[0] != "n1" {
			t.Errorf("Next = %+v, %v; want an update of svc with n1", res, err)
		}
	}
	if len(other.extra) != 0 {
		t.Error("a watcher of another service got the update")
	}
	mine.Stop()
	if _, err := next(t, mine); err == nil {
		t.Error("Next after Stop: no error, want one")
	}
	reg.mu.Lock()
	watching := reg.watchers[mine]
	reg.mu.Unlock()
	if watching {
		t.Error("a stopped watcher still gets updates")
	}
}

// registerMDNS registers an instance id of service name over mDNS, the way
// a service does, until the test ends.
func registerMDNS(t *testing.T, name, id string) {
	t.Helper()
	reg := registry.NewMDNSRegistry()
	s := &registry.Service{Name: name, Version: "1", Nodes: []*registry.Node{{Id: id, Address: "127.0.0.1:1"}}}
	if err := reg.Register(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister(s) })
}

// answer runs an mDNS responder for instance id of service name until the
// test ends. It answers as go-micro's registry does, except that it
// answers each query for the service after delay, and never announces
// itself (a go-micro registry announces a new instance for 3 s, and its
// watchers see that): it is found only by the queries it answers.
func answer(t *testing.T, name, id string, delay time.Duration) {
	t.Helper()
	zone, err := mdns.NewMDNSService(id, name, mdnsDomain+".", "", 2, []net.IP{net.IPv4(127, 0, 0, 1)}, encodeTXT(t, mdnsTXT{Service: name, Version: "1"}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: lateZone{zone, name + "." + mdnsDomain + ".", delay}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
}

// lateZone answers questions about service after delay.
type lateZone struct {
	mdns.Zone
	service string
	delay   time.Duration
}

func (z lateZone) Records(q dns.Question) []dns.RR {
	if q.Name == z.service {
		time.Sleep(z.delay)
	}
	return z.Zone.Records(q)
}

// encodeTXT encodes txt as go-micro's mDNS registry does.
func encodeTXT(t *testing.T, txt mdnsTXT) []string {
	t.Helper()
	data, err := json.Marshal(txt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for s := hex.EncodeToString(buf.Bytes()); s != ""; {
		n := min(len(s), 255)
		fields, s = append(fields, s[:n]), s[n:]
	}
	return fields
}

// nodeIDs lists the ids of the services' nodes, sorted.
func nodeIDs(services []*registry.Service) []string {
	var ids []string
	for _, s := range services {
		for _, n := range s.Nodes {
			ids = append(ids, n.Id)
		}
	}
	slices.Sort(ids)
	return ids
}

// lookupGoroutines returns the stacks of the goroutines of lookups (an mDNS
// query, or a lookup listening on), or "" when there are none.
func lookupGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "mdns.(*client).query") || strings.Contains(g, "(*firstAnswerRegistry).GetService") {
			found = append(found, g)
		}
	}
	return strings.Join(found, "\n\n")
}
