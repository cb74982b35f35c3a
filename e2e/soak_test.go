package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// Load of TestSoak: soakWorkers goroutines send requests one after another,
// in three phases of the sizes below; every soakBadEvery-th request is bad
// input.
const (
	soakWorkers  = 24
	soakWarmUp   = 400
	soakRestart  = 1000 // the vessel service restarts in this phase
	soakFinal    = 1000
	soakBadEvery = 8
	// soakRestartAfter is how far into its phase the restart begins.
	soakRestartAfter = 300
	// soakDowntime is how long the vessel service stays down.
	soakDowntime = 4 * time.Second
	// soakMaxProblems is how many unexpected answers are shown in full.
	soakMaxProblems = 10
)

// Bounds on growth: after the run, a service's goroutines must come back to
// at most goroutineSlack more than after the warm-up, within
// settleGoroutines, and its heap goal must stay below heapFactor times what
// it was.
const (
	goroutineSlack   = 10
	settleGoroutines = 15 * time.Second
	heapFactor       = 2
)

// TestSoak sends thousands of creates from many goroutines, with bad input
// sent as raw protobuf mixed in, and restarts the vessel service (SIGTERM,
// down for soakDowntime) in the middle.
//
// Every bad input is refused; the only other failures are "no vessel has
// room" and, around the restart, 503. After the run every acknowledged
// booking is stored once, nothing refused or unavailable is stored, and the
// room taken on each vessel is that of its consignments (once the 503s are
// retried). Neither service grows: its goroutines come back to what they
// were after the warm-up, and its heap goal (twice the live heap the last
// garbage collection found) stays below heapFactor times what it was, both
// read from its Prometheus metrics. The vessel service's instance at the
// end is held to what the instance before the restart used after the
// warm-up: right after the restart, the new one serves the connections the
// consignment service opened while it came back, which go-micro's client
// pool closes only as later calls walk the pool. Both services then exit 0
// on SIGTERM.
//
// The resident memory is logged, not checked: built with -race, as here,
// the services' anonymous resident memory grows by some kilobytes per
// request, which is the race detector's own bookkeeping (the same soak on
// binaries built without -race stays flat).
func TestSoak(t *testing.T) {
	requireE2E(t)
	// Room for about four fifths of the creates: the last ones find none.
	// soak-b runs out of weight before containers.
	st := startStack(t, readFleet(t, "soak-fleet.json"), platform.EnvMetricsAddress+"=127.0.0.1:0")
	c := st.rpc(t)
	l := newLedger()

	anchor := newRequest("soak-anchor", 1, 10)
	if o, err := l.create(c, anchor); o != booked {
		t.Fatalf("create %s: %s: %v", anchor.GetId(), o, err)
	}
	s := &soak{t: t, c: c, l: l, bad: badInputs(t, anchor)}
	began := time.Now()

	s.phase("warm-up", soakWarmUp, false, nil)
	consignmentWarm, vesselWarm := sampleUsage(t, st.consignment), sampleUsage(t, st.vessel)

	s.phase("vessel service restart", soakRestart, true, func() {
		st.vessel.stop(t)
		time.Sleep(soakDowntime)
		st.restartVessel(t)
	})

	s.phase("final", soakFinal, false, nil)
	t.Logf("%d requests in %s: %d booked, %d refused, %d unavailable, %d bad inputs refused",
		s.next.Load(), time.Since(began).Round(time.Millisecond),
		l.count(booked), l.count(refused), l.count(unavailable), s.badRefused.Load())
	if l.count(booked) == 0 || l.count(refused) == 0 {
		t.Errorf("got %d creates booked and %d refused for want of room, want some of each: the fleet should run out",
			l.count(booked), l.count(refused))
	}

	wantNoGrowth(t, st.consignment, consignmentWarm)
	wantNoGrowth(t, st.vessel, vesselWarm)

	checkBooks(t, c, l)
	l.settle(t, c, l.unsettled(), settleWait)
	checkBooks(t, c, l)

	st.consignment.stop(t)
	st.vessel.stop(t)
}

// usage is what a service uses at one moment.
type usage struct {
	goroutines int
	// heapGoal is the heap size at which the next garbage collection
	// starts: twice the live heap the last one found, with a floor.
	heapGoal int64
	memory   proc.Status
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, heap goal %d kB, %s", u.goroutines, u.heapGoal>>10, u.memory)
}

// sampleUsage reads the usage of s from its metrics and /proc.
func sampleUsage(t *testing.T, s *service) usage {
	t.Helper()
	m := scrapeMetrics(t, s)
	for _, name := range []string{"go_goroutines", "go_memstats_next_gc_bytes"} {
		if _, ok := m[name]; !ok {
			t.Fatalf("%s's metrics have no %s", s.prog, name)
		}
	}
	return usage{
		goroutines: int(m["go_goroutines"]),
		heapGoal:   int64(m["go_memstats_next_gc_bytes"]),
		memory:     s.memory(t),
	}
}

// wantNoGrowth fails t unless the goroutines of s come back, within
// settleGoroutines, to at most goroutineSlack more than warm's, and its heap
// goal is below heapFactor times warm's. warm is the usage of s, or of the
// instance before it, after the warm-up.
func wantNoGrowth(t *testing.T, s *service, warm usage) {
	t.Helper()
	deadline := time.Now().Add(settleGoroutines)
	end := sampleUsage(t, s)
	for end.goroutines > warm.goroutines+goroutineSlack && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		end = sampleUsage(t, s)
	}
	t.Logf("%s: after the warm-up %s; at the end %s", s.prog, warm, end)
	if end.goroutines > warm.goroutines+goroutineSlack {
		t.Errorf("%s: %d goroutines %s after the run, want at most %d (%d after the warm-up)",
			s.prog, end.goroutines, settleGoroutines, warm.goroutines+goroutineSlack, warm.goroutines)
	}
	if end.heapGoal >= heapFactor*warm.heapGoal {
		t.Errorf("%s: heap goal %d kB after the run, want below %d times the %d kB after the warm-up",
			s.prog, end.heapGoal>>10, heapFactor, warm.heapGoal>>10)
	}
}

// soak is the state of one TestSoak run.
type soak struct {
	t   *testing.T
	c   *rpcClient
	l   *ledger
	bad []badInput

	// next is the number of the next request to send.
	next       atomic.Int64
	badRefused atomic.Int64

	mu       sync.Mutex
	problems []string
	more     int
}

// phase sends n requests from soakWorkers goroutines and checks each
// answer; unavailableOK says whether a create may fail with 503. during, if
// not nil, runs on the test's goroutine once soakRestartAfter of the
// requests are sent, while the others go on. phase fails t now when an
// answer was not as expected.
func (s *soak) phase(name string, n int64, unavailableOK bool, during func()) {
	s.t.Helper()
	start := s.next.Load()
	end := start + n
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Go(func() {
			for i := s.next.Add(1) - 1; i < end; i = s.next.Add(1) - 1 {
				s.send(i, unavailableOK)
			}
		})
	}
	if during != nil {
		for s.next.Load() < start+soakRestartAfter {
			time.Sleep(10 * time.Millisecond)
		}
		before, began := s.next.Load(), time.Now()
		during()
		s.t.Logf("%s: %d requests sent in the %s it took", name, s.next.Load()-before, time.Since(began).Round(time.Millisecond))
	}
	wg.Wait()
	s.next.Store(end)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		s.t.Errorf("%s: %s", name, p)
	}
	if s.more > 0 {
		s.t.Errorf("%s: %d more unexpected answers", name, s.more)
	}
	s.problems, s.more = nil, 0
	if s.t.Failed() {
		s.t.FailNow()
	}
}

// send sends request i: bad input when i is a multiple of soakBadEvery,
// otherwise a create of 1 to 3 containers.
func (s *soak) send(i int64, unavailableOK bool) {
	if i%soakBadEvery == 0 {
		b := s.bad[int(i/soakBadEvery)%len(s.bad)]
		if err := b.check(s.c.createRaw(b.body)); err != nil {
			s.problem("bad input %q: %v", b.name, err)
			return
		}
		s.badRefused.Add(1)
		return
	}
	req := newRequest(fmt.Sprintf("soak-%05d", i), 1+int(i%3), int32(5+(i*37)%200))
	o, err := s.l.create(s.c, req)
	switch {
	case o == booked:
	case o == refused && errorCode(err) == http.StatusPreconditionFailed:
	case o == unavailable && unavailableOK:
	default:
		s.problem("create %s: %s: %v", req.GetId(), o, err)
	}
}

// problem records an unexpected answer; phase reports it.
func (s *soak) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.problems) == soakMaxProblems {
		s.more++
		return
	}
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// badInput is the body of a CreateConsignment call that the consignment
// service must refuse, storing nothing.
type badInput struct {
	name string
	body []byte
	// code is the go-micro code of the refusal: 400, or 409 for an id in
	// use.
	code int32
	// field is what the detail of a 400 must name.
	field string
}

// check returns nil when err is the refusal b expects, or says how it is
// not.
func (b badInput) check(err error) error {
	if err == nil {
		return fmt.Errorf("accepted, want it refused with %d", b.code)
	}
	merr := microerrors.FromError(err)
	switch {
	case merr.Id != consignmentpb.ServiceName || merr.Code != b.code:
		return fmt.Errorf("want the consignment service's %d, got %v", b.code, err)
	case !strings.Contains(merr.Detail, b.field):
		return fmt.Errorf("want the detail to name %q, got %v", b.field, err)
	}
	return nil
}

// badInputs returns the bad input TestSoak sends: requests that break a
// rule, raw bodies that do not decode, and a request that reuses the id of
// anchor, a booked consignment, with other contents. Each has an id of its
// own (where it decodes), which the soak never creates.
func badInputs(t *testing.T, anchor *consignmentpb.Consignment) []badInput {
	t.Helper()
	// encode returns the encoding of a valid request of 2 containers, as
	// change leaves it.
	encode := func(name string, change func(req *consignmentpb.Consignment)) []byte {
		req := newRequest("bad-"+name, 2, 100)
		change(req)
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			t.Fatalf("bad input %s: %v", name, err)
		}
		return data
	}
	valid := encode("raw", func(*consignmentpb.Consignment) {})
	// field appends field num, length-delimited, holding value.
	field := func(data []byte, num protowire.Number, value []byte) []byte {
		data = protowire.AppendTag(slices.Clone(data), num, protowire.BytesType)
		return protowire.AppendBytes(data, value)
	}
	badOrigin := protowire.AppendTag(nil, 3, protowire.BytesType) // Container.origin
	badOrigin = protowire.AppendBytes(badOrigin, []byte{'P', 0xff})
	weight40 := protowire.AppendTag(slices.Clone(valid), 3, protowire.VarintType) // Consignment.weight
	weight40 = protowire.AppendVarint(weight40, 1<<40)                            // int32(1<<40) is 0

	conflict := proto.Clone(anchor).(*consignmentpb.Consignment)
	conflict.Weight++
	conflictBody, err := proto.Marshal(conflict)
	if err != nil {
		t.Fatal(err)
	}
	return []badInput{
		{name: "empty body", body: nil, code: 400, field: "weight"},
		{name: "weight 0", body: encode("weight-0", func(r *consignmentpb.Consignment) { r.Weight = 0 }), code: 400, field: "weight"},
		{name: "negative weight", body: encode("weight-neg", func(r *consignmentpb.Consignment) { r.Weight = -40 }), code: 400, field: "weight"},
		{name: "weight out of int32 range", body: weight40, code: 400, field: "weight"},
		{name: "weight of the wrong wire type", body: field(encode("weight-type", func(r *consignmentpb.Consignment) { r.Weight = 0 }), 3, []byte("heavy")), code: 400, field: "weight"},
		{name: "no containers", body: encode("no-boxes", func(r *consignmentpb.Consignment) { r.Containers = nil }), code: 400, field: "containers"},
		{name: "container without origin", body: encode("no-origin", func(r *consignmentpb.Consignment) { r.Containers[1].Origin = "" }), code: 400, field: "containers[1].origin"},
		{name: "empty container", body: encode("empty-box", func(r *consignmentpb.Consignment) { r.Containers[0] = &consignmentpb.Container{} }), code: 400, field: "containers[0].customer_id"},
		{name: "customer_id over 128 bytes", body: encode("long-customer", func(r *consignmentpb.Consignment) { r.Containers[0].CustomerId = strings.Repeat("c", 129) }), code: 400, field: "containers[0].customer_id"},
		{name: "id over 128 bytes", body: encode("long-id", func(r *consignmentpb.Consignment) { r.Id = strings.Repeat("i", 129) }), code: 400, field: "id"},
		{name: "description over 4 KiB", body: encode("long-text", func(r *consignmentpb.Consignment) { r.Description = strings.Repeat("d", 4<<10+1) }), code: 400, field: "description"},
		{name: "id in use with other contents", body: conflictBody, code: 409},
		{name: "description not UTF-8", body: field(valid, 2, []byte{'x', 0xff}), code: 400, field: "description: not valid UTF-8"},
		{name: "origin not UTF-8", body: field(valid, 4, badOrigin), code: 400, field: "containers[2].origin: not valid UTF-8"},
		{name: "truncated", body: valid[:len(valid)-1], code: 400},
		{name: "garbage", body: []byte{0xff, 0xff, 0xff, 0xff}, code: 400},
		{name: "field number 0", body: append(slices.Clone(valid), 0x02, 0x00), code: 400},
	}
}
