// Package storetest is the contract every vessel.Repository must meet, as a
// test suite. Run takes a function that opens a new, empty repository; the
// service's TestContract (store_test.go) runs it on every backend
// (storetesting.RunContract).
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

// Run runs the contract suite on the repositories open returns, adapted
// to the backend by opts (see storetesting.RunSuite).
func Run(t *testing.T, open func(t *testing.T) vessel.Repository, opts ...storetesting.Options) {
	t.Helper()
	storetesting.RunSuite(t, []storetesting.Test[vessel.Repository]{
		{Name: "CreateAndGet", Run: testCreateAndGet},
		{Name: "CreateConflict", Run: testCreateConflict},
		{Name: "GetNotFound", Run: testGetNotFound},
		{Name: "ListEmpty", Run: testListEmpty},
		{Name: "ListInIDOrder", Run: testListInIDOrder},
		{Name: "ListReturnsCopies", Run: testListReturnsCopies},
		{Name: "TakeRoom", Open: testTakeRoom},
		{Name: "TakeRoomAlreadyBooked", Open: testTakeRoomAlreadyBooked},
		{Name: "FindBookingNotFound", Run: testFindBookingNotFound},
		{Name: "ReleaseRoom", Run: testReleaseRoom},
		{Name: "ConcurrentTakeRoom", Run: testConcurrentTakeRoom},
		{Name: "ConcurrentTakeRoomSameConsignment", Run: testConcurrentTakeRoomSameConsignment},
		{Name: "ConcurrentReleaseRoom", Run: testConcurrentReleaseRoom},
		{Name: "ConcurrentBook", Run: testConcurrentBook},
		{Name: "BookHeld", Open: testBookHeld},
		{Name: "BookHeldAgain", Open: testBookHeldAgain},
		{Name: "BookHeldOutcomes", Run: testBookHeldOutcomes},
		{Name: "Confirm", Run: testConfirm},
		{Name: "ListExpiredHolds", Run: testListExpiredHolds},
		{Name: "ReleaseExpiredHold", Run: testReleaseExpiredHold},
		{Name: "ReleaseRoomHeld", Run: testReleaseRoomHeld},
		{Name: "ConcurrentBookHeld", Run: testConcurrentBookHeld},
		{Name: "ConcurrentRenewAndRelease", Run: testConcurrentRenewAndRelease},
	}, open, opts...)
}

func testCreateAndGet(t *testing.T, repo vessel.Repository) {
	want := vessel.Vessel{
		ID: "v1", Name: "Boaty McBoatface", OwnerID: "owner-1",
		Capacity: 500, MaxWeight: 200000, Available: true,
		UsedCapacity: 20, UsedWeight: 3000,
	}
	if err := repo.Create(t.Context(), want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := mustGet(t, repo, "v1"); got != want {
		t.Errorf("Get after Create = %+v, want %+v", got, want)
	}
}

func testCreateConflict(t *testing.T, repo vessel.Repository) {
	want := vessel.Vessel{ID: "v1", Name: "first", Capacity: 5, MaxWeight: 50, Available: true}
	mustCreate(t, repo, want)
	for _, again := range []vessel.Vessel{
		want,
		{ID: "v1", Name: "second", Capacity: 9, MaxWeight: 90},
	} {
		if err := repo.Create(t.Context(), again); !errors.Is(err, vessel.ErrConflict) {
			t.Errorf("Create(%+v) over a stored id: error %v, want ErrConflict", again, err)
		}
	}
	if got := mustGet(t, repo, "v1"); got != want {
		t.Errorf("stored vessel after conflicting Create = %+v, want %+v", got, want)
	}
}

func testGetNotFound(t *testing.T, repo vessel.Repository) {
	mustCreate(t, repo, vessel.Vessel{ID: "v1", Capacity: 1, MaxWeight: 1})
	if _, err := repo.Get(t.Context(), "v2"); !errors.Is(err, vessel.ErrNotFound) {
		t.Errorf("Get(unknown id): error %v, want ErrNotFound", err)
	}
}

func testListEmpty(t *testing.T, repo vessel.Repository) {
	got, err := repo.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("List of an empty store = %+v, want none", got)
	}
}

func testListInIDOrder(t *testing.T, repo vessel.Repository) {
	// Byte order: upper case before lower case, "a" before "aa", and
	// multi-byte UTF-8 after ASCII.
	for _, id := range []string{"é", "b", "aa", "B", "a", "10", "9"} {
		mustCreate(t, repo, vessel.Vessel{ID: id, Name: "name " + id, Capacity: 1, MaxWeight: 1})
	}
	got := ids(mustList(t, repo))
	want := []string{"10", "9", "B", "a", "aa", "b", "é"}
	if !slices.Equal(got, want) {
		t.Errorf("List ids = %q, want %q", got, want)
	}
}

func testListReturnsCopies(t *testing.T, repo vessel.Repository) {
	want := vessel.Vessel{ID: "v1", Name: "n", Capacity: 5, MaxWeight: 50, Available: true}
	mustCreate(t, repo, want)
	list := mustList(t, repo)
	list[0].UsedCapacity = 5
	list[0].Name = "changed"
	if got := mustGet(t, repo, "v1"); got != want {
		t.Errorf("stored vessel after changing a listed copy = %+v, want %+v", got, want)
	}
}

func testTakeRoom(t *testing.T, open func(*testing.T) vessel.Repository) {
	// Each case starts from this fleet, in id order.
	fleet := []vessel.Vessel{
		{ID: "closed", Capacity: 10, MaxWeight: 1000, Available: false},
		{ID: "half", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 5, UsedWeight: 500},
	}
	tests := []struct {
		name    string
		booking vessel.Booking
		wantErr error         // nil: the booking succeeds
		want    vessel.Vessel // the vessel after a successful booking
	}{
		{
			name:    "fits",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "half", Containers: 2, Weight: 100},
			want:    vessel.Vessel{ID: "half", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 7, UsedWeight: 600},
		},
		{
			name:    "held",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "half", Containers: 2, Weight: 100, Holder: "h", HeldUntil: at(30)},
			want:    vessel.Vessel{ID: "half", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 7, UsedWeight: 600},
		},
		{
			name:    "takes all the room left",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "half", Containers: 5, Weight: 500},
			want:    vessel.Vessel{ID: "half", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 10, UsedWeight: 1000},
		},
		{
			name:    "one container too many",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "half", Containers: 6, Weight: 1},
			wantErr: vessel.ErrNoRoom,
		},
		{
			name:    "one kilogram too heavy",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "half", Containers: 1, Weight: 501},
			wantErr: vessel.ErrNoRoom,
		},
		{
			name:    "vessel not available",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "closed", Containers: 1, Weight: 1},
			wantErr: vessel.ErrNoRoom,
		},
		{
			name:    "unknown vessel",
			booking: vessel.Booking{ConsignmentID: "c1", VesselID: "nope", Containers: 1, Weight: 1},
			wantErr: vessel.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := open(t)
			mustCreate(t, repo, fleet...)
			got, err := repo.TakeRoom(t.Context(), tt.booking)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("TakeRoom(%+v): error %v, want %v", tt.booking, err, tt.wantErr)
				}
				assertFleet(t, repo, fleet)
				assertNoBooking(t, repo, tt.booking.ConsignmentID)
				return
			}
			if err != nil {
				t.Fatalf("TakeRoom(%+v): %v", tt.booking, err)
			}
			if got != tt.want {
				t.Errorf("TakeRoom returned vessel %+v, want %+v", got, tt.want)
			}
			if stored := mustGet(t, repo, tt.want.ID); stored != tt.want {
				t.Errorf("stored vessel after TakeRoom = %+v, want %+v", stored, tt.want)
			}
			if b := mustFindBooking(t, repo, tt.booking.ConsignmentID); b != tt.booking {
				t.Errorf("FindBooking after TakeRoom = %+v, want %+v", b, tt.booking)
			}
		})
	}
}

func testTakeRoomAlreadyBooked(t *testing.T, open func(*testing.T) vessel.Repository) {
	// In id order.
	fleet := []vessel.Vessel{
		{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true},
		{ID: "full", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 10, UsedWeight: 1000},
	}
	first := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 200}
	tests := []struct {
		name  string
		again vessel.Booking
	}{
		{"same booking again", first},
		{"different size", vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 1, Weight: 1}},
		{"other vessel, full", vessel.Booking{ConsignmentID: "c1", VesselID: "full", Containers: 1, Weight: 1}},
		{"unknown vessel", vessel.Booking{ConsignmentID: "c1", VesselID: "nope", Containers: 1, Weight: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := open(t)
			mustCreate(t, repo, fleet...)
			after, err := repo.TakeRoom(t.Context(), first)
			if err != nil {
				t.Fatalf("first TakeRoom: %v", err)
			}
			if _, err := repo.TakeRoom(t.Context(), tt.again); !errors.Is(err, vessel.ErrAlreadyBooked) {
				t.Fatalf("TakeRoom(%+v) for a booked consignment: error %v, want ErrAlreadyBooked", tt.again, err)
			}
			assertFleet(t, repo, []vessel.Vessel{after, fleet[1]})
			if b := mustFindBooking(t, repo, "c1"); b != first {
				t.Errorf("booking after a second TakeRoom = %+v, want the first %+v", b, first)
			}
		})
	}
}

func testFindBookingNotFound(t *testing.T, repo vessel.Repository) {
	mustCreate(t, repo, vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true})
	mustTakeRoom(t, repo, vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 1, Weight: 1})
	assertNoBooking(t, repo, "c2")
}

func testReleaseRoom(t *testing.T, repo vessel.Repository) {
	empty := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}
	mustCreate(t, repo, empty)
	b1 := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 3, Weight: 300}
	b2 := vessel.Booking{ConsignmentID: "c2", VesselID: "a", Containers: 4, Weight: 400}
	mustTakeRoom(t, repo, b1)
	mustTakeRoom(t, repo, b2)

	got, err := repo.ReleaseRoom(t.Context(), "c1")
	if err != nil {
		t.Fatalf("ReleaseRoom(c1): %v", err)
	}
	if got != b1 {
		t.Errorf("ReleaseRoom(c1) = %+v, want %+v", got, b1)
	}
	assertNoBooking(t, repo, "c1")
	if b := mustFindBooking(t, repo, "c2"); b != b2 {
		t.Errorf("the other booking after ReleaseRoom(c1) = %+v, want %+v", b, b2)
	}
	want := empty
	want.UsedCapacity, want.UsedWeight = 4, 400
	assertFleet(t, repo, []vessel.Vessel{want})

	if _, err := repo.ReleaseRoom(t.Context(), "c1"); !errors.Is(err, vessel.ErrNotFound) {
		t.Errorf("ReleaseRoom(c1) again: error %v, want ErrNotFound", err)
	}
	assertFleet(t, repo, []vessel.Vessel{want})

	// A released consignment can be booked again.
	mustTakeRoom(t, repo, b1)
	want.UsedCapacity, want.UsedWeight = 7, 700
	assertFleet(t, repo, []vessel.Vessel{want})
}

// testConcurrentTakeRoom races many bookings for the room of one small
// vessel: exactly as many succeed as it holds.
func testConcurrentTakeRoom(t *testing.T, repo vessel.Repository) {
	// Room for 7 containers, and weight for 8 of them.
	v := vessel.Vessel{ID: "a", Capacity: 7, MaxWeight: 80, Available: true}
	mustCreate(t, repo, v)
	errs := storetesting.Race(200, func(i int) error {
		_, err := repo.TakeRoom(t.Context(), vessel.Booking{ConsignmentID: fmt.Sprint("c", i), VesselID: "a", Containers: 1, Weight: 10})
		return err
	})
	booked := len(storetesting.Winners(t, "TakeRoom", errs, vessel.ErrNoRoom))
	for i, err := range errs {
		if errors.Is(err, vessel.ErrNoRoom) {
			assertNoBooking(t, repo, fmt.Sprint("c", i))
		}
	}
	if booked != 7 {
		t.Errorf("%d bookings succeeded, want 7", booked)
	}
	v.UsedCapacity, v.UsedWeight = 7, 70
	assertFleet(t, repo, []vessel.Vessel{v})
}

// testConcurrentTakeRoomSameConsignment races bookings of one consignment
// onto several vessels: exactly one succeeds.
func testConcurrentTakeRoomSameConsignment(t *testing.T, repo vessel.Repository) {
	fleet := []vessel.Vessel{
		{ID: "a", Capacity: 100, MaxWeight: 1000, Available: true},
		{ID: "b", Capacity: 100, MaxWeight: 1000, Available: true},
		{ID: "c", Capacity: 100, MaxWeight: 1000, Available: true},
	}
	mustCreate(t, repo, fleet...)
	errs := storetesting.Race(60, func(i int) error {
		_, err := repo.TakeRoom(t.Context(), vessel.Booking{ConsignmentID: "c1", VesselID: fleet[i%len(fleet)].ID, Containers: 2, Weight: 20})
		return err
	})
	if won := storetesting.Winners(t, "TakeRoom", errs, vessel.ErrAlreadyBooked); len(won) != 1 {
		t.Fatalf("%d bookings of one consignment succeeded, want 1", len(won))
	}
	b := mustFindBooking(t, repo, "c1")
	for i, v := range fleet {
		if v.ID == b.VesselID {
			fleet[i].UsedCapacity, fleet[i].UsedWeight = 2, 20
		}
	}
	assertFleet(t, repo, fleet)
}

// testConcurrentReleaseRoom races releases of one booking: exactly one
// gives the room back.
func testConcurrentReleaseRoom(t *testing.T, repo vessel.Repository) {
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 100, Available: true}
	mustCreate(t, repo, v)
	mustTakeRoom(t, repo, vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 3, Weight: 30})
	mustTakeRoom(t, repo, vessel.Booking{ConsignmentID: "c2", VesselID: "a", Containers: 1, Weight: 10})
	errs := storetesting.Race(60, func(int) error {
		_, err := repo.ReleaseRoom(t.Context(), "c1")
		return err
	})
	if won := storetesting.Winners(t, "ReleaseRoom", errs, vessel.ErrNotFound); len(won) != 1 {
		t.Errorf("%d releases of one booking succeeded, want 1", len(won))
	}
	v.UsedCapacity, v.UsedWeight = 1, 10
	assertFleet(t, repo, []vessel.Vessel{v})
}

// testConcurrentBook runs hundreds of concurrent vessel.Service bookings,
// each consignment asked for twice, against a small fleet: as many
// consignments are booked as the fleet holds, each exactly once, and no
// vessel carries more than it may.
func testConcurrentBook(t *testing.T, repo vessel.Repository) {
	fleet, holds := raceFleet()
	mustCreate(t, repo, fleet...)
	svc, err := vessel.NewService(repo, func() string { return "unused" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	const consignments = 150
	// Call 2i and 2i+1 book consignment i.
	results := make([]vessel.BookOutcome, 2*consignments)
	storetesting.Race(len(results), func(i int) error {
		req := vessel.BookRequest{ConsignmentID: fmt.Sprint("c", i/2), Containers: 1, Weight: 10}
		b, _, err := svc.Book(t.Context(), req)
		results[i] = vessel.BookOutcome{Booking: b, Err: err}
		return err
	})
	answered := make(map[string][]vessel.BookOutcome)
	for i, r := range results {
		id := fmt.Sprint("c", i/2)
		if r.Err != nil && !errors.Is(r.Err, vessel.ErrNoRoom) {
			t.Errorf("Book %s: error %v, want nil or ErrNoRoom", id, r.Err)
		}
		answered[id] = append(answered[id], r)
	}
	assertBookedOnce(t, repo, consignments, answered, holds)
}

// raceFleet is the fleet of the concurrent booking tests, and how many
// bookings of 1 container of 10 kg it holds: 5 + 3 + 4 = 12. "a" and "b"
// are limited by capacity, "c" by weight, and "d" takes none as it is not
// available.
func raceFleet() ([]vessel.Vessel, int) {
	return []vessel.Vessel{
		{ID: "a", Capacity: 5, MaxWeight: 1000, Available: true},
		{ID: "b", Capacity: 3, MaxWeight: 1000, Available: true},
		{ID: "c", Capacity: 50, MaxWeight: 45, Available: true},
		{ID: "d", Capacity: 50, MaxWeight: 1000, Available: false},
	}, 12
}

func mustCreate(t *testing.T, repo vessel.Repository, vessels ...vessel.Vessel) {
	t.Helper()
	for _, v := range vessels {
		if err := repo.Create(t.Context(), v); err != nil {
			t.Fatalf("Create(%+v): %v", v, err)
		}
	}
}

func mustGet(t *testing.T, repo vessel.Repository, id string) vessel.Vessel {
	t.Helper()
	v, err := repo.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return v
}

func mustList(t *testing.T, repo vessel.Repository) []vessel.Vessel {
	t.Helper()
	vessels, err := repo.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return vessels
}

func mustTakeRoom(t *testing.T, repo vessel.Repository, b vessel.Booking) {
	t.Helper()
	if _, err := repo.TakeRoom(t.Context(), b); err != nil {
		t.Fatalf("TakeRoom(%+v): %v", b, err)
	}
}

func mustFindBooking(t *testing.T, repo vessel.Repository, consignmentID string) vessel.Booking {
	t.Helper()
	b, err := repo.FindBooking(t.Context(), consignmentID)
	if err != nil {
		t.Fatalf("FindBooking(%q): %v", consignmentID, err)
	}
	return b
}

// assertFleet checks that the store holds exactly want, in id order.
func assertFleet(t *testing.T, repo vessel.Repository, want []vessel.Vessel) {
	t.Helper()
	if got := mustList(t, repo); !slices.Equal(got, want) {
		t.Errorf("stored fleet:\n got %+v\nwant %+v", got, want)
	}
}

func assertNoBooking(t *testing.T, repo vessel.Repository, consignmentID string) {
	t.Helper()
	if b, err := repo.FindBooking(t.Context(), consignmentID); !errors.Is(err, vessel.ErrNotFound) {
		t.Errorf("FindBooking(%q) = %+v, %v; want ErrNotFound", consignmentID, b, err)
	}
}

func ids(vessels []vessel.Vessel) []string {
	out := make([]string, len(vessels))
	for i, v := range vessels {
		out[i] = v.ID
	}
	return out
}

// AssertUnavailable checks that every method of repo fails with
// vessel.ErrUnavailable, each within within when it is positive. when says
// why, for the messages: "on a closed store".
func AssertUnavailable(t *testing.T, repo vessel.Repository, when string, within time.Duration) {
	t.Helper()
	ctx := t.Context()
	b := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 1, Weight: 1}
	storetesting.AssertErrors(t, storetesting.Calls{
		"Create":      func() error { return repo.Create(ctx, vessel.Vessel{ID: "a", Capacity: 1, MaxWeight: 1}) },
		"Get":         func() error { _, err := repo.Get(ctx, "a"); return err },
		"List":        func() error { _, err := repo.List(ctx); return err },
		"TakeRoom":    func() error { _, err := repo.TakeRoom(ctx, b); return err },
		"FindBooking": func() error { _, err := repo.FindBooking(ctx, "c1"); return err },
		"ReleaseRoom": func() error { _, err := repo.ReleaseRoom(ctx, "c1"); return err },
		"BookHeld": func() error {
			out, err := repo.BookHeld(ctx, []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 1}}, hold("h", 1), t0)
			if err == nil && len(out) == 1 {
				err = out[0].Err
			}
			return err
		},
		"Confirm":            func() error { _, err := repo.Confirm(ctx, []string{"c1"}); return err },
		"ListExpiredHolds":   func() error { _, err := repo.ListExpiredHolds(ctx, "h", t0, 10); return err },
		"ReleaseExpiredHold": func() error { _, err := repo.ReleaseExpiredHold(ctx, "c1", t0); return err },
	}, vessel.ErrUnavailable, when, within)
}

// AssertDownThenUp checks a repository whose server is down: every method
// fails with ErrUnavailable within within (AssertUnavailable); once
// restart has started the server again, the same repository stores a
// vessel and gets it back.
func AssertDownThenUp(t *testing.T, repo vessel.Repository, restart func(), within time.Duration) {
	t.Helper()
	AssertUnavailable(t, repo, "with the server down", within)
	restart()
	v := vessel.Vessel{ID: "a", Name: "n", Capacity: 10, MaxWeight: 100, Available: true}
	mustCreate(t, repo, v)
	if got, err := repo.Get(t.Context(), "a"); err != nil || got != v {
		t.Errorf("Get once the server is up = %+v, %v; want %+v", got, err, v)
	}
}
