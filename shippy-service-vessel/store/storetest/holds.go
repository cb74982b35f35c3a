package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// t0 is the time the hold tests count from; holds run out seconds after it.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// at is t0 plus seconds.
func at(seconds int) time.Time { return t0.Add(time.Duration(seconds) * time.Second) }

// hold is a hold by holder that runs out seconds after t0.
func hold(holder string, seconds int) vessel.Hold {
	return vessel.Hold{Holder: holder, Until: at(seconds)}
}

// held is the booking of req on the vessel, held by h.
func held(req vessel.BookRequest, vesselID string, h vessel.Hold) vessel.Booking {
	return vessel.Booking{
		ConsignmentID: req.ConsignmentID, VesselID: vesselID, Containers: req.Containers, Weight: req.Weight,
		Holder: h.Holder, HeldUntil: h.Until,
	}
}

func testBookHeld(t *testing.T, open func(*testing.T) vessel.Repository) {
	// In id order: the first two take nothing.
	fleet := []vessel.Vessel{
		{ID: "closed", Capacity: 100, MaxWeight: 10000, Available: false},
		{ID: "full", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 10},
		{ID: "half", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 5, UsedWeight: 500},
		{ID: "large", Capacity: 50, MaxWeight: 5000, Available: true},
	}
	h := hold("holder-1", 30)
	tests := []struct {
		name       string
		req        vessel.BookRequest
		wantVessel string // "" for no room
	}{
		{"first fit in id order", vessel.BookRequest{ConsignmentID: "c1", Containers: 5, Weight: 500}, "half"},
		{"too many containers for half", vessel.BookRequest{ConsignmentID: "c1", Containers: 6, Weight: 1}, "large"},
		{"too heavy for half", vessel.BookRequest{ConsignmentID: "c1", Containers: 1, Weight: 501}, "large"},
		{"no room", vessel.BookRequest{ConsignmentID: "c1", Containers: 51, Weight: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := open(t)
			mustCreate(t, repo, fleet...)
			got := mustBookHeld(t, repo, []vessel.BookRequest{tt.req}, h, t0)[0]
			if tt.wantVessel == "" {
				if !errors.Is(got.Err, vessel.ErrNoRoom) {
					t.Fatalf("BookHeld outcome %+v, want ErrNoRoom", got)
				}
				assertFleet(t, repo, fleet)
				assertNoBooking(t, repo, tt.req.ConsignmentID)
				return
			}
			want := held(tt.req, tt.wantVessel, h)
			if got.Err != nil || got.Booking != want {
				t.Fatalf("BookHeld outcome %+v, want booking %+v", got, want)
			}
			if b := mustFindBooking(t, repo, "c1"); b != want {
				t.Errorf("FindBooking = %+v, want %+v", b, want)
			}
			wantFleet := slices.Clone(fleet)
			for i, v := range wantFleet {
				if v.ID == tt.wantVessel {
					wantFleet[i].UsedCapacity += tt.req.Containers
					wantFleet[i].UsedWeight += tt.req.Weight
				}
			}
			assertFleet(t, repo, wantFleet)
		})
	}
}

// testBookHeldAgain books a consignment that holds a booking again.
func testBookHeldAgain(t *testing.T, open func(*testing.T) vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}
	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 2, Weight: 200}
	first := hold("holder-1", 30)
	tests := []struct {
		name    string
		confirm bool // the first booking is confirmed before
		req     vessel.BookRequest
		hold    vessel.Hold
		now     time.Time
		want    vessel.Booking // the outcome's booking, and the stored one
		wantErr error          // of the outcome; the stored booking is then the first
	}{
		{name: "renewed", req: req, hold: hold("holder-1", 60), now: at(10), want: held(req, "a", hold("holder-1", 60))},
		{name: "renewed to the later end", req: req, hold: hold("holder-1", 20), now: at(10), want: held(req, "a", first)},
		{name: "renewed in the same second", req: req, hold: hold("holder-1", 60), now: at(30).Add(-time.Millisecond), want: held(req, "a", hold("holder-1", 60))},
		// Held by another store, whose create may still store it: not
		// renewed for this one, which retries once it is settled.
		{name: "another holder", req: req, hold: hold("holder-2", 60), now: at(10), wantErr: vessel.ErrHeldElsewhere},
		{name: "another holder, ran out", req: req, hold: hold("holder-2", 60), now: at(30), wantErr: vessel.ErrHoldExpired},
		{name: "hold ran out", req: req, hold: hold("holder-1", 60), now: at(30), wantErr: vessel.ErrHoldExpired},
		{name: "hold ran out long ago", req: req, hold: hold("holder-1", 600), now: at(500), wantErr: vessel.ErrHoldExpired},
		{
			name: "other size", req: vessel.BookRequest{ConsignmentID: "c1", Containers: 3, Weight: 200},
			hold: hold("holder-1", 60), now: at(10), want: held(req, "a", first), wantErr: vessel.ErrConflict,
		},
		{name: "confirmed", confirm: true, req: req, hold: hold("holder-1", 600), now: at(500), want: held(req, "a", vessel.Hold{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := open(t)
			mustCreate(t, repo, v)
			mustBookHeld(t, repo, []vessel.BookRequest{req}, first, t0)
			stored := held(req, "a", first)
			if tt.confirm {
				mustConfirm(t, repo, 1, "c1")
				stored = held(req, "a", vessel.Hold{})
			}
			got := mustBookHeld(t, repo, []vessel.BookRequest{tt.req}, tt.hold, tt.now)[0]
			if !errors.Is(got.Err, tt.wantErr) || (tt.wantErr == nil) != (got.Err == nil) {
				t.Fatalf("BookHeld again: outcome %+v, want error %v", got, tt.wantErr)
			}
			if tt.wantErr == nil || errors.Is(tt.wantErr, vessel.ErrConflict) {
				if got.Booking != tt.want {
					t.Errorf("BookHeld again: booking %+v, want %+v", got.Booking, tt.want)
				}
			}
			if tt.wantErr == nil {
				stored = tt.want
			}
			if b := mustFindBooking(t, repo, "c1"); b != stored {
				t.Errorf("FindBooking = %+v, want %+v", b, stored)
			}
			want := v
			want.UsedCapacity, want.UsedWeight = 2, 200
			assertFleet(t, repo, []vessel.Vessel{want})
		})
	}
}

// testBookHeldOutcomes books a batch in which some items are refused:
// each item has its own outcome, and the others are booked.
func testBookHeldOutcomes(t *testing.T, repo vessel.Repository) {
	fleet := []vessel.Vessel{
		{ID: "a", Capacity: 3, MaxWeight: 1000, Available: true},
		{ID: "b", Capacity: 2, MaxWeight: 1000, Available: true},
	}
	mustCreate(t, repo, fleet...)
	h := hold("holder-1", 30)
	reqs := []vessel.BookRequest{
		{ConsignmentID: "c1", Containers: 2, Weight: 20},
		{ConsignmentID: "c2", Containers: 5, Weight: 50}, // no vessel is that large
		{ConsignmentID: "c3", Containers: 1, Weight: 10},
		{ConsignmentID: "c1", Containers: 2, Weight: 20}, // again: the same booking
		{ConsignmentID: "c4", Containers: 2, Weight: 40},
		{ConsignmentID: "c5", Containers: 1, Weight: 10}, // the fleet is full
		{ConsignmentID: "c3", Containers: 2, Weight: 10}, // again, other size
	}
	want := []vessel.BookOutcome{
		{Booking: held(reqs[0], "a", h)},
		{Err: vessel.ErrNoRoom},
		{Booking: held(reqs[2], "a", h)},
		{Booking: held(reqs[0], "a", h)},
		{Booking: held(reqs[4], "b", h)},
		{Err: vessel.ErrNoRoom},
		{Booking: held(reqs[2], "a", h), Err: vessel.ErrConflict},
	}
	assertOutcomes(t, mustBookHeld(t, repo, reqs, h, t0), want)
	fleet[0].UsedCapacity, fleet[0].UsedWeight = 3, 30
	fleet[1].UsedCapacity, fleet[1].UsedWeight = 2, 40
	assertFleet(t, repo, fleet)
	for _, id := range []string{"c2", "c5"} {
		assertNoBooking(t, repo, id)
	}

	// A batch in which every item is refused, and an empty one.
	refused := []vessel.BookRequest{{ConsignmentID: "c6", Containers: 1, Weight: 1}, {ConsignmentID: "c1", Containers: 1, Weight: 1}}
	assertOutcomes(t, mustBookHeld(t, repo, refused, h, t0), []vessel.BookOutcome{
		{Err: vessel.ErrNoRoom}, {Booking: held(reqs[0], "a", h), Err: vessel.ErrConflict},
	})
	if got := mustBookHeld(t, repo, nil, h, t0); len(got) != 0 {
		t.Errorf("BookHeld of no requests = %+v, want no outcomes", got)
	}
	assertFleet(t, repo, fleet)
}

func testConfirm(t *testing.T, repo vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}
	mustCreate(t, repo, v)
	h := hold("holder-1", 30)
	reqs := []vessel.BookRequest{
		{ConsignmentID: "c1", Containers: 1, Weight: 10},
		{ConsignmentID: "c2", Containers: 1, Weight: 10},
		{ConsignmentID: "c3", Containers: 1, Weight: 10},
	}
	mustBookHeld(t, repo, reqs, h, t0)
	c4 := vessel.Booking{ConsignmentID: "c4", VesselID: "a", Containers: 1, Weight: 10}
	mustTakeRoom(t, repo, c4)

	mustConfirm(t, repo, 2, "c1", "c2", "c4", "never-booked")
	for _, want := range []vessel.Booking{held(reqs[0], "a", vessel.Hold{}), held(reqs[1], "a", vessel.Hold{}), held(reqs[2], "a", h), c4} {
		if got := mustFindBooking(t, repo, want.ConsignmentID); got != want {
			t.Errorf("FindBooking(%q) after Confirm = %+v, want %+v", want.ConsignmentID, got, want)
		}
	}
	mustConfirm(t, repo, 0, "c1")
	assertExpired(t, repo, "holder-1", at(600), 10, "c3")
	if released := mustReleaseExpiredHold(t, repo, "c1", at(600)); released {
		t.Error("ReleaseExpiredHold of a confirmed booking released it")
	}
	v.UsedCapacity, v.UsedWeight = 4, 40
	assertFleet(t, repo, []vessel.Vessel{v})
}

func testListExpiredHolds(t *testing.T, repo vessel.Repository) {
	mustCreate(t, repo, vessel.Vessel{ID: "a", Capacity: 100, MaxWeight: 1000, Available: true})
	book := func(id string, h vessel.Hold) {
		t.Helper()
		mustBookHeld(t, repo, []vessel.BookRequest{{ConsignmentID: id, Containers: 1, Weight: 1}}, h, t0)
	}
	book("c1", hold("h1", 10))
	book("c2", hold("h1", 20))
	book("c3", hold("h1", 30))
	book("c4", hold("h2", 10))
	book("c5", hold("h", 10)) // a holder whose id is a prefix of the others'
	mustTakeRoom(t, repo, vessel.Booking{ConsignmentID: "c6", VesselID: "a", Containers: 1, Weight: 1})

	tests := []struct {
		holder string
		now    time.Time
		want   []string
	}{
		{"h1", at(9), nil},
		{"h1", at(10), []string{"c1"}},
		{"h1", at(25), []string{"c1", "c2"}},
		{"h1", at(600), []string{"c1", "c2", "c3"}},
		{"h2", at(600), []string{"c4"}},
		{"h", at(600), []string{"c5"}},
		{"nobody", at(600), nil},
	}
	for _, tt := range tests {
		assertExpired(t, repo, tt.holder, tt.now, 10, tt.want...)
	}
	got, err := repo.ListExpiredHolds(t.Context(), "h1", at(600), 2)
	if err != nil {
		t.Fatalf("ListExpiredHolds: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("ListExpiredHolds with limit 2 = %+v, want 2 bookings", got)
	}
	// The bookings are listed whole.
	got, err = repo.ListExpiredHolds(t.Context(), "h1", at(10), 10)
	if err != nil {
		t.Fatalf("ListExpiredHolds: %v", err)
	}
	want := held(vessel.BookRequest{ConsignmentID: "c1", Containers: 1, Weight: 1}, "a", hold("h1", 10))
	if len(got) != 1 || got[0] != want {
		t.Errorf("ListExpiredHolds = %+v, want [%+v]", got, want)
	}
}

func testReleaseExpiredHold(t *testing.T, repo vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}
	mustCreate(t, repo, v)
	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 3, Weight: 300}
	mustBookHeld(t, repo, []vessel.BookRequest{req}, hold("h", 30), t0)
	mustTakeRoom(t, repo, vessel.Booking{ConsignmentID: "c2", VesselID: "a", Containers: 1, Weight: 100})
	tests := []struct {
		id   string
		now  time.Time
		want bool
	}{
		{"c1", at(30).Add(-time.Millisecond), false}, // not run out
		{"c2", at(600), false},                       // confirmed
		{"never-booked", at(600), false},
		{"c1", at(30), true},
		{"c1", at(31), false}, // released already
	}
	for _, tt := range tests {
		if got := mustReleaseExpiredHold(t, repo, tt.id, tt.now); got != tt.want {
			t.Errorf("ReleaseExpiredHold(%q, t0+%v) = %t, want %t", tt.id, tt.now.Sub(t0), got, tt.want)
		}
	}
	assertNoBooking(t, repo, "c1")
	assertExpired(t, repo, "h", at(600), 10)
	v.UsedCapacity, v.UsedWeight = 1, 100
	assertFleet(t, repo, []vessel.Vessel{v})

	// Booked again, anew.
	again := mustBookHeld(t, repo, []vessel.BookRequest{req}, hold("h", 90), at(60))[0]
	if want := held(req, "a", hold("h", 90)); again.Err != nil || again.Booking != want {
		t.Errorf("BookHeld after the release = %+v, want %+v", again, want)
	}
	v.UsedCapacity, v.UsedWeight = 4, 400
	assertFleet(t, repo, []vessel.Vessel{v})
}

// testReleaseRoomHeld releases a held booking unconditionally: its hold
// goes with it.
func testReleaseRoomHeld(t *testing.T, repo vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}
	mustCreate(t, repo, v)
	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 3, Weight: 300}
	mustBookHeld(t, repo, []vessel.BookRequest{req}, hold("h", 30), t0)
	got, err := repo.ReleaseRoom(t.Context(), "c1")
	if want := held(req, "a", hold("h", 30)); err != nil || got != want {
		t.Fatalf("ReleaseRoom = %+v, %v; want %+v", got, err, want)
	}
	assertExpired(t, repo, "h", at(600), 10)
	mustConfirm(t, repo, 0, "c1")
	if released := mustReleaseExpiredHold(t, repo, "c1", at(600)); released {
		t.Error("ReleaseExpiredHold after ReleaseRoom released again")
	}
	assertFleet(t, repo, []vessel.Vessel{v})
}

// testConcurrentBookHeld races batches, each consignment in two of them,
// against a small fleet: as many consignments are booked as the fleet
// holds, each once, and no vessel carries more than it may.
func testConcurrentBookHeld(t *testing.T, repo vessel.Repository) {
	fleet, holds := raceFleet()
	mustCreate(t, repo, fleet...)
	const consignments, batches, size = 150, 30, 10
	// Batch k books consignments 5k to 5k+9, modulo 150: each is in two.
	outcomes := make([][]vessel.BookOutcome, batches)
	requests := make([][]vessel.BookRequest, batches)
	h := hold("h", 30)
	storetesting.Race(batches, func(k int) error {
		reqs := make([]vessel.BookRequest, size)
		for i := range reqs {
			reqs[i] = vessel.BookRequest{ConsignmentID: fmt.Sprint("c", (5*k+i)%consignments), Containers: 1, Weight: 10}
		}
		requests[k] = reqs
		out, err := repo.BookHeld(t.Context(), reqs, h, t0)
		outcomes[k] = out
		return err
	})
	answered := make(map[string][]vessel.BookOutcome)
	for k := range batches {
		if len(outcomes[k]) != size {
			t.Fatalf("batch %d: %d outcomes, want %d", k, len(outcomes[k]), size)
		}
		for i, o := range outcomes[k] {
			id := requests[k][i].ConsignmentID
			if o.Err != nil && !errors.Is(o.Err, vessel.ErrNoRoom) {
				t.Errorf("BookHeld %s: error %v, want nil or ErrNoRoom", id, o.Err)
			}
			answered[id] = append(answered[id], o)
		}
	}
	assertBookedOnce(t, repo, consignments, answered, holds)
}

// testConcurrentRenewAndRelease races, for each of many held bookings
// whose hold runs out at t0+30s, a BookHeld that renews it (its clock
// reads a moment before) with a ReleaseExpiredHold (its clock reads t0+30s):
// each consignment ends booked at most once, a renewal answered with a
// booking is kept, and the room used is that of the bookings kept.
func testConcurrentRenewAndRelease(t *testing.T, repo vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 1000, MaxWeight: 100000, Available: true}
	mustCreate(t, repo, v)
	const n = 40
	reqs := make([]vessel.BookRequest, n)
	for i := range reqs {
		reqs[i] = vessel.BookRequest{ConsignmentID: fmt.Sprint("c", i), Containers: 1, Weight: 10}
	}
	mustBookHeld(t, repo, reqs, hold("h", 30), t0)
	renewed := make([]vessel.BookOutcome, n)
	released := make([]bool, n)
	storetesting.Race(2*n, func(j int) error {
		i := j / 2
		if j%2 == 0 {
			out, err := repo.BookHeld(t.Context(), reqs[i:i+1], hold("h", 60), at(30).Add(-time.Millisecond))
			if err == nil {
				renewed[i] = out[0]
			}
			return err
		}
		var err error
		released[i], err = repo.ReleaseExpiredHold(t.Context(), reqs[i].ConsignmentID, at(30))
		return err
	})
	kept := 0
	for i, req := range reqs {
		got, err := repo.FindBooking(t.Context(), req.ConsignmentID)
		switch {
		case renewed[i].Err == nil:
			// Renewed before the release (which then released nothing), or
			// booked anew after it.
			if want := held(req, "a", hold("h", 60)); renewed[i].Booking != want || err != nil || got != want {
				t.Errorf("%s: renewed to %+v (%v), stored %+v (%v); want %+v", req.ConsignmentID, renewed[i], released[i], got, err, want)
			}
			kept++
		case errors.Is(renewed[i].Err, vessel.ErrHoldExpired):
			if !released[i] || !errors.Is(err, vessel.ErrNotFound) {
				t.Errorf("%s: renewal answered %v, release %t, stored %+v, %v; want it released", req.ConsignmentID, renewed[i].Err, released[i], got, err)
			}
		default:
			t.Errorf("%s: renewal answered %v", req.ConsignmentID, renewed[i].Err)
		}
	}
	v.UsedCapacity, v.UsedWeight = int32(kept), int32(10*kept)
	assertFleet(t, repo, []vessel.Vessel{v})
}

// assertBookedOnce checks, after a race of bookings of the consignments
// c0 to c<n-1> answered as answered says, that the store holds want
// bookings, that every booking answered is the one stored, that no
// consignment refused every time is stored, and that each vessel's used
// room is the sum of its bookings and fits it.
func assertBookedOnce(t *testing.T, repo vessel.Repository, n int, answered map[string][]vessel.BookOutcome, want int) {
	t.Helper()
	used := make(map[string][2]int32) // vessel id -> containers, weight booked
	booked := 0
	for i := range n {
		id := fmt.Sprint("c", i)
		stored, err := repo.FindBooking(t.Context(), id)
		if errors.Is(err, vessel.ErrNotFound) {
			for _, o := range answered[id] {
				if o.Err == nil {
					t.Errorf("%s booked as %+v, but the store holds no booking", id, o.Booking)
				}
			}
			continue
		}
		if err != nil {
			t.Fatalf("FindBooking(%s): %v", id, err)
		}
		booked++
		for _, o := range answered[id] {
			if o.Err == nil && o.Booking != stored {
				t.Errorf("%s booked as %+v, but the store holds %+v", id, o.Booking, stored)
			}
		}
		u := used[stored.VesselID]
		used[stored.VesselID] = [2]int32{u[0] + stored.Containers, u[1] + stored.Weight}
	}
	if booked != want {
		t.Errorf("%d consignments booked, want %d", booked, want)
	}
	for _, v := range mustList(t, repo) {
		if v.UsedCapacity > v.Capacity || v.UsedWeight > v.MaxWeight {
			t.Errorf("vessel %s overbooked: %+v", v.ID, v)
		}
		if u := used[v.ID]; v.UsedCapacity != u[0] || v.UsedWeight != u[1] {
			t.Errorf("vessel %s uses %d containers and %d kg, but its bookings add up to %d and %d",
				v.ID, v.UsedCapacity, v.UsedWeight, u[0], u[1])
		}
	}
}

func mustBookHeld(t *testing.T, repo vessel.Repository, reqs []vessel.BookRequest, h vessel.Hold, now time.Time) []vessel.BookOutcome {
	t.Helper()
	out, err := repo.BookHeld(t.Context(), reqs, h, now)
	if err != nil {
		t.Fatalf("BookHeld: %v", err)
	}
	if len(out) != len(reqs) {
		t.Fatalf("BookHeld of %d requests: %d outcomes", len(reqs), len(out))
	}
	return out
}

func mustConfirm(t *testing.T, repo vessel.Repository, want int, ids ...string) {
	t.Helper()
	n, err := repo.Confirm(t.Context(), ids)
	if err != nil {
		t.Fatalf("Confirm(%q): %v", ids, err)
	}
	if n != want {
		t.Errorf("Confirm(%q) = %d, want %d", ids, n, want)
	}
}

func mustReleaseExpiredHold(t *testing.T, repo vessel.Repository, id string, now time.Time) bool {
	t.Helper()
	released, err := repo.ReleaseExpiredHold(t.Context(), id, now)
	if err != nil {
		t.Fatalf("ReleaseExpiredHold(%q): %v", id, err)
	}
	return released
}

// assertExpired checks the ids of the bookings ListExpiredHolds returns,
// in any order.
func assertExpired(t *testing.T, repo vessel.Repository, holder string, now time.Time, limit int, want ...string) {
	t.Helper()
	got, err := repo.ListExpiredHolds(t.Context(), holder, now, limit)
	if err != nil {
		t.Fatalf("ListExpiredHolds(%q): %v", holder, err)
	}
	ids := make([]string, len(got))
	for i, b := range got {
		ids[i] = b.ConsignmentID
		if b.Holder != holder || b.HeldUntil.After(now) {
			t.Errorf("ListExpiredHolds(%q, t0+%v) listed %+v", holder, now.Sub(t0), b)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) && (len(ids) != 0 || len(want) != 0) {
		t.Errorf("ListExpiredHolds(%q, t0+%v) = %q, want %q", holder, now.Sub(t0), ids, want)
	}
}

// assertOutcomes checks BookHeld's outcomes: the error each matches, and
// the booking of those that succeeded or conflict.
func assertOutcomes(t *testing.T, got, want []vessel.BookOutcome) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d outcomes, want %d", len(got), len(want))
	}
	for i := range want {
		if !errors.Is(got[i].Err, want[i].Err) || (want[i].Err == nil) != (got[i].Err == nil) {
			t.Errorf("outcome %d: %+v, want error %v", i, got[i], want[i].Err)
			continue
		}
		if want[i].Err == nil || errors.Is(want[i].Err, vessel.ErrConflict) {
			if got[i].Booking != want[i].Booking {
				t.Errorf("outcome %d: booking %+v, want %+v", i, got[i].Booking, want[i].Booking)
			}
		}
	}
}
