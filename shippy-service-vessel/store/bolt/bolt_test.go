package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestReopen checks that what a store acknowledged is in the file when it is
// opened again: vessels, their booked room and the bookings.
func TestReopen(t *testing.T) {
	t.Parallel()
	fleet := []vessel.Vessel{
		{ID: "a", Name: "Ever Given", OwnerID: "evergreen", Capacity: 10, MaxWeight: 1000, Available: true},
		{ID: "b", Name: "Emma Mærsk", Capacity: 5, MaxWeight: 500, Available: false},
	}
	bookings := []vessel.Booking{
		{ConsignmentID: "c1", VesselID: "a", Containers: 3, Weight: 300},
		{ConsignmentID: "c2", VesselID: "a", Containers: 1, Weight: 50},
	}
	fill := func(first *bolt.Store) {
		for _, v := range fleet {
			if err := first.Create(t.Context(), v); err != nil {
				t.Fatalf("Create(%+v): %v", v, err)
			}
		}
		for _, b := range bookings {
			if _, err := first.TakeRoom(t.Context(), b); err != nil {
				t.Fatalf("TakeRoom(%+v): %v", b, err)
			}
		}
	}
	boltdbtest.Reopen(t, bolt.Open, fill, func(second *bolt.Store) {
		ctx := t.Context()
		fleet[0].UsedCapacity, fleet[0].UsedWeight = 4, 350
		got, err := second.List(ctx)
		if err != nil {
			t.Fatalf("List after reopening: %v", err)
		}
		if !slices.Equal(got, fleet) {
			t.Errorf("fleet after reopening:\n got %+v\nwant %+v", got, fleet)
		}
		for _, want := range bookings {
			got, err := second.FindBooking(ctx, want.ConsignmentID)
			if err != nil || got != want {
				t.Errorf("FindBooking(%q) after reopening = %+v, %v; want %+v", want.ConsignmentID, got, err, want)
			}
		}
		// The reopened store goes on from there.
		if _, err := second.ReleaseRoom(ctx, "c1"); err != nil {
			t.Fatalf("ReleaseRoom(c1) after reopening: %v", err)
		}
		if got, err := second.Get(ctx, "a"); err != nil || got.UsedCapacity != 1 || got.UsedWeight != 50 {
			t.Errorf("Get(a) after the release = %+v, %v; want 1 container and 50 kg used", got, err)
		}
	})
}

// TestConcurrentWritesDurable races bookings, refused ones among them,
// and releases, concurrently, so that they share commits,
// and checks that what each call answered is what the file holds after
// it is closed and opened again: every acknowledged booking, with its
// room, and nothing of a refused one.
func TestConcurrentWritesDurable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// "small" holds 10 bookings of 1 container; "big" holds all of them.
	fleet := []vessel.Vessel{
		{ID: "big", Capacity: 1000, MaxWeight: 100000, Available: true},
		{ID: "small", Capacity: 10, MaxWeight: 100000, Available: true},
	}
	for _, v := range fleet {
		if err := s.Create(ctx, v); err != nil {
			t.Fatalf("Create(%+v): %v", v, err)
		}
	}
	// Booked before the race: r0 to r19 are released during it, and kept
	// is booked again, and refused.
	const released = 20
	kept := vessel.Booking{ConsignmentID: fmt.Sprint("r", released), VesselID: "big", Containers: 5, Weight: 50}
	for i := range released + 1 {
		b := vessel.Booking{ConsignmentID: fmt.Sprint("r", i), VesselID: "big", Containers: 2, Weight: 20}
		if i == released {
			b = kept
		}
		if _, err := s.TakeRoom(ctx, b); err != nil {
			t.Fatalf("TakeRoom(%+v): %v", b, err)
		}
	}

	const tries = 100
	bookings := make([]vessel.Booking, tries)
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		bookings[i] = vessel.Booking{ConsignmentID: fmt.Sprint("c", i), VesselID: "small", Containers: 1, Weight: 10}
		switch i % 4 {
		case 0:
			bookings[i].VesselID = "big"
		case 1:
			bookings[i].VesselID = "missing"
		}
		wg.Go(func() { _, errs[i] = s.TakeRoom(ctx, bookings[i]) })
		if i < released {
			wg.Go(func() {
				if _, err := s.ReleaseRoom(ctx, fmt.Sprint("r", i)); err != nil {
					t.Errorf("ReleaseRoom(r%d): %v", i, err)
				}
			})
		}
		wg.Go(func() {
			b := vessel.Booking{ConsignmentID: kept.ConsignmentID, VesselID: "small", Containers: 1, Weight: 1}
			if _, err := s.TakeRoom(ctx, b); !errors.Is(err, vessel.ErrAlreadyBooked) {
				t.Errorf("TakeRoom(%+v): error %v, want ErrAlreadyBooked", b, err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	reopened := mustOpen(t, path)
	used := map[string][2]int32{kept.VesselID: {kept.Containers, kept.Weight}}
	booked := map[string]int{}
	for i, b := range bookings {
		got, findErr := reopened.FindBooking(ctx, b.ConsignmentID)
		switch err := errs[i]; {
		case err == nil:
			if findErr != nil || got != b {
				t.Errorf("booking %+v was acknowledged; after reopening FindBooking = %+v, %v", b, got, findErr)
			}
			booked[b.VesselID]++
			u := used[b.VesselID]
			used[b.VesselID] = [2]int32{u[0] + b.Containers, u[1] + b.Weight}
		case b.VesselID == "missing" && errors.Is(err, vessel.ErrNotFound),
			b.VesselID == "small" && errors.Is(err, vessel.ErrNoRoom):
			if !errors.Is(findErr, vessel.ErrNotFound) {
				t.Errorf("booking %+v was refused (%v); after reopening FindBooking = %+v, %v", b, err, got, findErr)
			}
		default:
			t.Errorf("TakeRoom(%+v): unexpected error %v", b, err)
		}
	}
	if got, want := booked["small"], 10; got != want {
		t.Errorf("%d bookings on small, want %d (its capacity)", got, want)
	}
	if got, want := booked["big"], tries/4; got != want {
		t.Errorf("%d bookings on big, want %d", got, want)
	}
	for i := range released {
		if b, err := reopened.FindBooking(ctx, fmt.Sprint("r", i)); !errors.Is(err, vessel.ErrNotFound) {
			t.Errorf("released booking r%d after reopening: FindBooking = %+v, %v; want ErrNotFound", i, b, err)
		}
	}
	got, err := reopened.List(ctx)
	if err != nil {
		t.Fatalf("List after reopening: %v", err)
	}
	for i, v := range fleet {
		fleet[i].UsedCapacity, fleet[i].UsedWeight = used[v.ID][0], used[v.ID][1]
	}
	if !slices.Equal(got, fleet) {
		t.Errorf("fleet after reopening:\n got %+v\nwant %+v", got, fleet)
	}
}

// TestStore runs the checks of every store on boltdb: its file errors, and
// that every method of a closed store reports ErrUnavailable.
func TestStore(t *testing.T) {
	t.Parallel()
	boltdbtest.RunStoreTests(t, bolt.Open, "3", "4", func(t *testing.T, s *bolt.Store) {
		storetest.AssertUnavailable(t, s, "on a closed store", 0)
	})
}

// TestCanceled checks that a call whose context is done changes nothing.
func TestCanceled(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, tempPath(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Create(ctx, vessel.Vessel{ID: "a", Capacity: 1, MaxWeight: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a canceled context: error %v, want context.Canceled", err)
	}
	if _, err := s.Get(t.Context(), "a"); !errors.Is(err, vessel.ErrNotFound) {
		t.Errorf("Get after a canceled Create: error %v, want ErrNotFound", err)
	}
}

func tempPath(t *testing.T) string { return boltdbtest.Path(t, "vessels.db") }

// mustOpen opens the store at path and closes it when the test ends.
func mustOpen(t *testing.T, path string) *bolt.Store {
	t.Helper()
	return boltdbtest.MustOpen(t, bolt.Open, path)
}
