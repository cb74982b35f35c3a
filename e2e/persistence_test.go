package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

// smallest is the least room a consignment can take: one container of 1 kg.
var smallest = load{1, 1}

// TestConcurrentCreatesFillTheFleet sends hundreds of concurrent creates of
// varied sizes, through one consignment service on the embedded store, to a
// small fleet: three vessels (two that run out of containers first, one of
// weight) and one that is not available, 48 containers in all. The creates
// that succeed fill the fleet: every refusal is for want of room, which the
// room left confirms, no vessel ends above its capacity or weight, every
// success is stored exactly once and took exactly its room, and every
// refusal stored nothing and took no room.
func TestConcurrentCreatesFillTheFleet(t *testing.T) {
	requireE2E(t)
	const creates = 300
	st := startStack(t, `[
  {"id": "ship-a", "name": "Ship A", "capacity": 12, "max_weight": 1200, "available": true, "owner_id": "owner-1"},
  {"id": "ship-b", "name": "Ship B", "capacity": 30, "max_weight": 600, "available": true, "owner_id": "owner-1"},
  {"id": "ship-c", "name": "Ship C", "capacity": 6, "max_weight": 5000, "available": true, "owner_id": "owner-2"},
  {"id": "laid-up", "name": "Laid Up", "capacity": 1000, "max_weight": 1000000, "available": false, "owner_id": "owner-2"}
]`)
	c := st.rpc(t)
	empty := c.listVessels(t)

	// 1 to 4 containers of 1 to 250 kg in all, and every fourth create the
	// smallest there is: 75 of those, more than the fleet's 48 containers,
	// so some are refused, and a refused smallest create means that every
	// vessel is full.
	rng := rand.New(rand.NewPCG(1, 2)) // the same sizes every run
	reqs := make([]*consignmentpb.Consignment, creates)
	for i := range reqs {
		n, weight := 1, int32(1)
		if i%4 != 0 {
			n, weight = 1+rng.IntN(4), 1+rng.Int32N(250)
		}
		reqs[i] = newRequest(fmt.Sprintf("conc-%03d", i), n, weight)
	}

	l := newLedger()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, req := range reqs {
		wg.Go(func() {
			<-start
			l.create(c, req)
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("%d concurrent creates took %s: %d booked, %d refused",
		creates, time.Since(began).Round(time.Millisecond), l.count(booked), l.count(refused))

	for id, sc := range l.withOutcome() {
		if sc.outcome != booked && errorCode(sc.err) != http.StatusPreconditionFailed {
			t.Errorf("create %s: want it booked or refused with 412 (no vessel has room), got %s: %v", id, sc.outcome, sc.err)
		}
	}
	b := checkBooks(t, c, l)
	for id, sc := range l.withOutcome(refused) {
		for vid, v := range b.fleet {
			if v.GetAvailable() && loadOf(sc.req).fits(left(v)) {
				t.Errorf("create %s of %s was refused, but vessel %s has %s left", id, loadOf(sc.req), vid, left(v))
			}
		}
	}
	for vid, v := range b.fleet {
		if v.GetAvailable() && smallest.fits(left(v)) {
			t.Errorf("vessel %s has %s left: the fleet is not full after %d creates", vid, left(v), creates)
		}
	}
	if got := b.fleet["laid-up"]; !proto.Equal(got, empty["laid-up"]) {
		t.Errorf("the vessel that is not available changed:\n got %v\nwant %v", got, empty["laid-up"])
	}
	if len(b.fleet) != len(empty) {
		t.Errorf("fleet: got %d vessels, want the %d of VESSELS_FILE", len(b.fleet), len(empty))
	}
}

// TestDurability books consignments, stops a service (SIGTERM, or SIGKILL
// for a crash) and starts it again on the same DATA_DIR and VESSELS_FILE:
// every acknowledged consignment is listed as it was, the room taken on
// each vessel is still that of its consignments (seeding the fleet again at
// start never resets it), and the suite books on. Then a vessel added to
// VESSELS_FILE appears at the next start with all its room, and the room
// booked on the others is kept.
func TestDurability(t *testing.T) {
	requireE2E(t)
	// Room for every consignment the test books.
	st := startStack(t, readFleet(t, "durable-fleet.json"))
	l := newLedger()
	round := 0
	// book creates a few consignments of 1 to 3 containers and fails t
	// unless each was booked. A create that got a 503 is retried, as a
	// client does: right after a crash, the consignment service's registry
	// may still list the killed vessel instance beside the new one.
	book := func(t *testing.T, c *rpcClient) {
		t.Helper()
		round++
		for i := range 4 {
			req := newRequest(fmt.Sprintf("dur-%02d-%d", round, i), 1+i%3, int32(100+10*i))
			if o, _ := l.create(c, req); o == unavailable {
				l.settle(t, c, []string{req.GetId()}, settleWait)
			}
			if sc := l.withOutcome()[req.GetId()]; sc.outcome != booked {
				t.Fatalf("create %s after %d rounds: %s: %v", req.GetId(), round-1, sc.outcome, sc.err)
			}
		}
	}
	c := st.rpc(t)
	book(t, c)
	checkBooks(t, c, l)

	// Each restart takes the services named down, the consignment service
	// first, by SIGTERM or by SIGKILL (a crash), and starts them again, the
	// vessel service first.
	restarts := []struct {
		name                string
		vessel, consignment bool
		kill                bool
	}{
		{name: "vessel service, SIGTERM", vessel: true},
		{name: "consignment service, SIGTERM", consignment: true},
		{name: "vessel service, SIGKILL", vessel: true, kill: true},
		{name: "consignment service, SIGKILL", consignment: true, kill: true},
		{name: "both services, SIGKILL", vessel: true, consignment: true, kill: true},
	}
	for _, tt := range restarts {
		ok := t.Run(tt.name, func(t *testing.T) {
			before := checkBooks(t, st.rpc(t), l)
			down := (*service).stop
			if tt.kill {
				down = (*service).kill
			}
			if tt.consignment {
				down(st.consignment, t)
			}
			if tt.vessel {
				down(st.vessel, t)
				st.restartVessel(t)
			}
			if tt.consignment {
				st.restartConsignment(t)
			}
			c := st.rpc(t)
			after := checkBooks(t, c, l)
			wantSameFleet(t, after, before)
			book(t, c)
			checkBooks(t, c, l)
		})
		if !ok {
			return // the next restarts need this one's services
		}
	}

	t.Run("vessel added to VESSELS_FILE", func(t *testing.T) {
		before := checkBooks(t, st.rpc(t), l)
		fleetFile := lookupEnv(st.vessel.env)("VESSELS_FILE")
		// The durable fleet with dur-c added, larger than any room left on the others.
		writeFile(t, filepath.Dir(fleetFile), filepath.Base(fleetFile), readFleet(t, "grown-fleet.json"))
		st.vessel.stop(t)
		st.restartVessel(t)
		c := st.rpc(t)
		after := checkBooks(t, c, l)
		added := after.fleet["dur-c"]
		if added == nil {
			t.Fatalf("vessel dur-c, added to VESSELS_FILE, is not in the fleet after a restart: %v", after.fleet)
		}
		delete(after.fleet, "dur-c")
		wantSameFleet(t, after, before)
		if got, want := left(added), (load{200, 50000}); got != want {
			t.Errorf("room left on the added vessel dur-c: got %s, want all of it, %s", got, want)
		}

		// Too large for what is left on dur-a and dur-b: it takes dur-c.
		req := newRequest("dur-large", 50, 1000)
		if o, err := l.create(c, req); o != booked {
			t.Fatalf("create %s: %s: %v", req.GetId(), o, err)
		}
		if got := checkBooks(t, c, l).consignments["dur-large"].GetVesselId(); got != "dur-c" {
			t.Errorf("a consignment that fits only the added vessel was booked on %q, want dur-c", got)
		}
	})
}

// wantSameFleet checks that got has the vessels of want, each with the
// same definition and the same room left.
func wantSameFleet(t *testing.T, got, want books) {
	t.Helper()
	if len(got.fleet) != len(want.fleet) {
		t.Errorf("fleet: got %d vessels, want %d: %v", len(got.fleet), len(want.fleet), got.fleet)
	}
	for id, w := range want.fleet {
		if g := got.fleet[id]; !proto.Equal(g, w) {
			t.Errorf("vessel %s:\n got %v\nwant %v", id, g, w)
		}
	}
}
