package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/proto"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// outcome is what a client learnt from one create.
type outcome int

const (
	// booked: the service answered with the consignment, booked on a
	// vessel. It must be listed, once, on that vessel.
	booked outcome = iota + 1
	// refused: the service refused the create (4xx). Nothing may be
	// listed and no room taken for it.
	refused
	// unavailable: the service answered 503. The consignment must not be
	// listed, but may leave its room held until a retry
	// or the service's recovery settles it.
	unavailable
	// unanswered: no answer came from the consignment service (it crashed,
	// or the call timed out), or it failed with a 500. The consignment may
	// be stored or absent.
	unanswered
	// abandoned: the create got no booking and its client gave up. It may
	// be listed, as sent; if it is not, no room may stay taken for it once
	// the services have settled.
	abandoned
)

func (o outcome) String() string {
	switch o {
	case booked:
		return "booked"
	case refused:
		return "refused"
	case unavailable:
		return "unavailable"
	case unanswered:
		return "unanswered"
	case abandoned:
		return "abandoned"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// outcomeOf classifies the error of a CreateConsignment call. Only an
// error the consignment service answered with (its name is the error's id)
// says what became of the create; one from the client (id
// "go.micro.client": no connection, the connection lost, a timeout) says
// nothing, whatever its code.
func outcomeOf(err error) outcome {
	if err == nil {
		return booked
	}
	merr := microerrors.FromError(err)
	switch {
	case merr.Id != consignmentpb.ServiceName:
		return unanswered
	case merr.Code == http.StatusServiceUnavailable:
		return unavailable
	case merr.Code >= 400 && merr.Code < 500:
		return refused
	default:
		return unanswered // a 500: what the service did is not known
	}
}

// ledger records every create a test sent, and what came of it, by
// consignment id: what checkBooks holds the services to. It is safe for
// concurrent use.
type ledger struct {
	mu      sync.Mutex
	creates map[string]*sentCreate
}

// sentCreate is one create of a ledger, with the outcome of its last try.
type sentCreate struct {
	req *consignmentpb.Consignment
	// owner is the user who sent it: the consignment's owner_id.
	owner   string
	outcome outcome
	// answer is the service's answer, when booked.
	answer *consignmentpb.Response
	// err is the error of the last try, unless booked.
	err error
}

// vesselID is the vessel the answer named.
func (sc *sentCreate) vesselID() string { return sc.answer.GetConsignment().GetVesselId() }

func newLedger() *ledger {
	return &ledger{creates: make(map[string]*sentCreate)}
}

// create sends req (which must have an id) with c, records what came of
// it, and returns that with the call's error.
func (l *ledger) create(c *rpcClient, req *consignmentpb.Consignment) (outcome, error) {
	rsp, err := c.create(req)
	return l.record(req, c.owner, rsp, err), err
}

// record records the answer to a create of req by owner, or the call's
// error.
func (l *ledger) record(req *consignmentpb.Consignment, owner string, rsp *consignmentpb.Response, err error) outcome {
	sc := &sentCreate{req: req, owner: owner, outcome: outcomeOf(err), answer: rsp, err: err}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.creates[req.GetId()] = sc
	return sc.outcome
}

// count returns how many creates of l have the outcome.
func (l *ledger) count(o outcome) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, sc := range l.creates {
		if sc.outcome == o {
			n++
		}
	}
	return n
}

// withOutcome returns the creates of l that have one of the outcomes, by
// id; with none, every create.
func (l *ledger) withOutcome(o ...outcome) map[string]sentCreate {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]sentCreate)
	for id, sc := range l.creates {
		if len(o) == 0 || slices.Contains(o, sc.outcome) {
			out[id] = *sc
		}
	}
	return out
}

// unsettled returns the ids of the creates of l that got no booking and no
// refusal: unavailable or unanswered.
func (l *ledger) unsettled() []string {
	return slices.Sorted(maps.Keys(l.withOutcome(unavailable, unanswered)))
}

// settle retries the creates of l with the ids with the same request, as a
// client that got no answer should, until the service books or refuses
// each; creates are idempotent by id, so each books at most once. It fails t
// when one stays unsettled for wait.
func (l *ledger) settle(t *testing.T, c *rpcClient, ids []string, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for _, id := range ids {
		req := l.withOutcome()[id].req
		for tries := 1; ; tries++ {
			o, err := l.create(c, req)
			if o == booked || o == refused {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("retry of create %s: still %s after %d tries in %s: %v", id, o, tries, wait, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// stored returns sc's request as the service stores it when booked on
// vesselID: with that vessel, owned by its sender.
func (sc *sentCreate) stored(vesselID string) *consignmentpb.Consignment {
	c := proto.CloneOf(sc.req)
	c.VesselId, c.OwnerId = vesselID, sc.owner
	return c
}

// load is room on a vessel: containers and kilograms.
type load struct {
	containers, weight int64
}

func (a load) add(b load) load { return load{a.containers + b.containers, a.weight + b.weight} }
func (a load) sub(b load) load { return load{a.containers - b.containers, a.weight - b.weight} }

// fits reports whether a fits in room.
func (a load) fits(room load) bool { return a.containers <= room.containers && a.weight <= room.weight }

func (a load) String() string { return fmt.Sprintf("%d containers, %d kg", a.containers, a.weight) }

// loadOf is the room req takes.
func loadOf(req *consignmentpb.Consignment) load {
	return load{int64(len(req.GetContainers())), int64(req.GetWeight())}
}

// taken is the room booked on v; left is the room left on it.
func taken(v *vesselpb.Vessel) load {
	return load{int64(v.GetCapacity() - v.GetRemainingCapacity()), int64(v.GetMaxWeight() - v.GetRemainingWeight())}
}

func left(v *vesselpb.Vessel) load {
	return load{int64(v.GetRemainingCapacity()), int64(v.GetRemainingWeight())}
}

// books is what the two services hold: the consignments listed, by id, and
// the fleet, by vessel id.
type books struct {
	consignments map[string]*consignmentpb.Consignment
	fleet        map[string]*vesselpb.Vessel
}

// checkBooks reads both services' books with c (every consignment, with c's
// operator token) and checks them against each other and against l, and
// returns them:
//
//   - no consignment is listed twice, and each listed one was sent, as it
//     was sent, owned by its sender, and booked on a vessel of the fleet;
//   - every booked create was answered with the consignment sent, and is
//     listed, on the vessel its answer named;
//   - no refused or unavailable create is listed;
//   - no vessel holds more than its capacity or max weight;
//   - the room taken on each vessel is at least that of the consignments
//     listed on it, and the room taken beyond that, over the fleet, is no
//     more than the unavailable and unanswered creates that are not listed
//     could hold unconfirmed. With none of those, the room taken on each
//     vessel is exactly that of its consignments.
//
// Call it while no create is in flight.
func checkBooks(t *testing.T, c *rpcClient, l *ledger) books {
	t.Helper()
	b := books{consignments: make(map[string]*consignmentpb.Consignment), fleet: c.listVessels(t)}
	listed := c.listAll(t)
	l.mu.Lock()
	defer l.mu.Unlock()

	listedOn := make(map[string]load)
	for _, got := range listed {
		id := got.GetId()
		if _, dup := b.consignments[id]; dup {
			t.Errorf("consignment %s is listed twice", id)
			continue
		}
		b.consignments[id] = got
		sc, sent := l.creates[id]
		switch {
		case !sent:
			t.Errorf("consignment %s is listed, but was never sent: %v", id, got)
			continue
		case !proto.Equal(got, sc.stored(got.GetVesselId())):
			t.Errorf("consignment %s is listed as\n %v\nwant it as sent, owned by %s:\n %v", id, got, sc.owner, sc.req)
		case sc.outcome == refused || sc.outcome == unavailable:
			t.Errorf("consignment %s is listed, but its create was %s: %v", id, sc.outcome, sc.err)
		case sc.outcome == booked && got.GetVesselId() != sc.vesselID():
			t.Errorf("consignment %s is listed on vessel %q, but its create answered %q", id, got.GetVesselId(), sc.vesselID())
		}
		if _, ok := b.fleet[got.GetVesselId()]; !ok {
			t.Errorf("consignment %s is listed on vessel %q, which is not in the fleet", id, got.GetVesselId())
		}
		listedOn[got.GetVesselId()] = listedOn[got.GetVesselId()].add(loadOf(sc.req))
	}

	var unsettledAtMost load
	for id, sc := range l.creates {
		_, listed := b.consignments[id]
		if sc.outcome == booked {
			want := &consignmentpb.Response{Created: true, Consignment: sc.stored(sc.vesselID())}
			if sc.vesselID() == "" || !proto.Equal(sc.answer, want) {
				t.Errorf("create %s was answered with\n %v\nwant the consignment sent, created and booked:\n %v", id, sc.answer, want)
			}
		}
		switch {
		case sc.outcome == booked && !listed:
			t.Errorf("consignment %s was booked on %s, but is not listed", id, sc.vesselID())
		case (sc.outcome == unavailable || sc.outcome == unanswered) && !listed:
			unsettledAtMost = unsettledAtMost.add(loadOf(sc.req))
		}
	}

	var excess load
	for _, id := range slices.Sorted(maps.Keys(b.fleet)) {
		v := b.fleet[id]
		took, room := taken(v), left(v)
		capacity := load{int64(v.GetCapacity()), int64(v.GetMaxWeight())}
		if room.containers < 0 || room.weight < 0 || !room.fits(capacity) {
			t.Errorf("vessel %s: %s left of %s: out of bounds", id, room, capacity)
		}
		if want := listedOn[id]; !want.fits(took) {
			t.Errorf("vessel %s: %s taken, less than the %s of the consignments listed on it", id, took, want)
		} else {
			excess = excess.add(took.sub(want))
		}
	}
	if !excess.fits(unsettledAtMost) {
		if unsettledAtMost == (load{}) {
			t.Errorf("the fleet has %s taken beyond the consignments listed, and no create is unsettled", excess)
		} else {
			t.Errorf("the fleet has %s taken beyond the consignments listed, more than the %s the unsettled creates could hold",
				excess, unsettledAtMost)
		}
	}
	return b
}
