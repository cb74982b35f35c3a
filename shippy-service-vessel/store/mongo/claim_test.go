package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/internal/record"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// Claim timings of the tests: short, so that a claim goes stale within a
// test, but not so short that a TakeRoom on a loaded machine (FerretDB's
// SQLite serializes writes) runs out of time.
const (
	testTakeRoomTimeout = 5 * time.Second
	testStaleClaimAge   = 6 * time.Second
	testClaimWait       = 200 * time.Millisecond
)

// TestLeftoverClaim checks the booking documents a crash between the two
// writes of TakeRoom or ReleaseRoom leaves behind: they are not bookings,
// hold no room, make a new TakeRoom of their consignment fail with
// ErrUnavailable while young, and are replaced once stale.
func TestLeftoverClaim(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		age     time.Duration
		wantErr error // of TakeRoom; nil: it books
	}{
		{"young", 0, vessel.ErrUnavailable},
		{"stale", testStaleClaimAge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s, v := newStoreWithVessel(t)
			// What TakeRoom leaves when it stops after its first write, and
			// ReleaseRoom after its second-to-last: a document the vessel
			// does not list.
			insertClaim(t, s, bookingDoc{
				ConsignmentID: "c1", Booking: record.Booking{VesselID: "a", Containers: 5, Weight: 50},
				Claim: primitive.NewObjectID(), ClaimedAt: time.Now().Add(-tt.age),
			})

			if b, err := s.FindBooking(ctx, "c1"); !errors.Is(err, vessel.ErrNotFound) {
				t.Errorf("FindBooking of a leftover claim = %+v, %v; want ErrNotFound", b, err)
			}
			if b, err := s.ReleaseRoom(ctx, "c1"); !errors.Is(err, vessel.ErrNotFound) {
				t.Errorf("ReleaseRoom of a leftover claim = %+v, %v; want ErrNotFound", b, err)
			}
			assertVessel(t, s, v)

			retry := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 20}
			_, err := s.TakeRoom(ctx, retry)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("TakeRoom over a %s claim: error %v, want %v", tt.name, err, tt.wantErr)
				}
				assertVessel(t, s, v)
				return
			}
			if err != nil {
				t.Fatalf("TakeRoom over a stale claim: %v", err)
			}
			if got, err := s.FindBooking(ctx, "c1"); err != nil || got != retry {
				t.Errorf("FindBooking after TakeRoom over a stale claim = %+v, %v; want %+v", got, err, retry)
			}
			v.UsedCapacity, v.UsedWeight = 2, 20
			assertVessel(t, s, v)
		})
	}
}

// TestLostAnswer checks the state TakeRoom leaves when its vessel update is
// applied but its answer lost: that is a booking.
func TestLostAnswer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, v := newStoreWithVessel(t)
	b := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 3, Weight: 30}
	insertClaim(t, s, bookingDoc{
		ConsignmentID: "c1", Booking: record.Booking{VesselID: "a", Containers: 3, Weight: 30},
		Claim: primitive.NewObjectID(), ClaimedAt: time.Now().Add(-time.Hour),
	})
	if _, err := s.takeRoom(ctx, b); err != nil {
		t.Fatalf("takeRoom: %v", err)
	}

	if got, err := s.FindBooking(ctx, "c1"); err != nil || got != b {
		t.Errorf("FindBooking = %+v, %v; want %+v", got, err, b)
	}
	if _, err := s.TakeRoom(ctx, b); !errors.Is(err, vessel.ErrAlreadyBooked) {
		t.Errorf("TakeRoom again: error %v, want ErrAlreadyBooked", err)
	}
	v.UsedCapacity, v.UsedWeight = 3, 30
	assertVessel(t, s, v)
}

// TestClaimDecidedWhileWaiting checks that a TakeRoom that meets another
// call's claim answers by what becomes of it.
func TestClaimDecidedWhileWaiting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		decide  func(context.Context, *Store, bookingDoc) error
		wantErr error
	}{
		{
			name: "booked",
			decide: func(ctx context.Context, s *Store, d bookingDoc) error {
				_, err := s.takeRoom(ctx, d.toBooking())
				return err
			},
			wantErr: vessel.ErrAlreadyBooked,
		},
		{
			name: "given up",
			decide: func(ctx context.Context, s *Store, d bookingDoc) error {
				return s.deleteClaim(ctx, d.ConsignmentID, d.Claim)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s, _ := newStoreWithVessel(t)
			s.claimWait = 10 * time.Second
			other := bookingDoc{
				ConsignmentID: "c1", Booking: record.Booking{VesselID: "a", Containers: 1, Weight: 10},
				Claim: primitive.NewObjectID(), ClaimedAt: time.Now(),
			}
			insertClaim(t, s, other)
			decided := make(chan error, 1)
			go func() {
				time.Sleep(100 * time.Millisecond)
				decided <- tt.decide(ctx, s, other)
			}()
			_, err := s.TakeRoom(ctx, vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 20})
			if derr := <-decided; derr != nil {
				t.Fatalf("deciding the other claim: %v", derr)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("TakeRoom: error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestCrashDuringCalls kills the server while bookings run, one worker per
// vessel, so that some calls are cut between their two writes, and starts
// it again on the same address and data. Retrying every booking then, as
// clients do, books each consignment exactly once, and each vessel's used
// room is the sum of its bookings: no booking is lost or taken twice, no
// room leaks.
func TestCrashDuringCalls(t *testing.T) {
	t.Parallel()
	srv := mongotest.StartFerretDB(t)
	s, err := New(storetesting.ConnectMongo(t, srv.URI(), time.Second).Database(store.MongoDatabase))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.takeRoomTimeout, s.staleClaimAge, s.claimWait = testTakeRoomTimeout, testStaleClaimAge, testClaimWait
	ctx := t.Context()

	// One vessel per worker: FerretDB does not make concurrent updates
	// of one document atomic, and each worker books on its own vessel.
	const workers = 4
	for w := range workers {
		v := vessel.Vessel{ID: fmt.Sprint("v", w), Capacity: 10000, MaxWeight: 1000000, Available: true}
		if err := s.Create(ctx, v); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	booking := func(w, i int) vessel.Booking {
		return vessel.Booking{ConsignmentID: fmt.Sprintf("c%d-%d", w, i), VesselID: fmt.Sprint("v", w), Containers: 1, Weight: int32(1 + i)}
	}
	// Each worker books until a call fails; the server is killed once the
	// workers have booked a few.
	attempted := make([]int, workers)
	var started sync.WaitGroup
	started.Add(workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				attempted[w] = i + 1
				if i == 5 {
					started.Done()
				}
				if _, err := s.TakeRoom(ctx, booking(w, i)); err != nil {
					if !errors.Is(err, vessel.ErrUnavailable) {
						t.Errorf("TakeRoom(%+v): error %v, want nil or ErrUnavailable", booking(w, i), err)
					}
					if i < 5 {
						started.Done()
					}
					return
				}
			}
		})
	}
	started.Wait()
	srv.Stop(t)
	wg.Wait()
	srv.Restart(t)

	deadline := time.Now().Add(testStaleClaimAge + 10*time.Second)
	leftovers, applied := 0, 0 // calls cut between their writes, or after them
	for w := range workers {
		var wantContainers, wantWeight int32
		for i := range attempted[w] {
			b := booking(w, i)
			for tries := 0; ; tries++ {
				_, err := s.TakeRoom(ctx, b)
				if errors.Is(err, vessel.ErrAlreadyBooked) && i == attempted[w]-1 {
					applied++
				}
				if err == nil || errors.Is(err, vessel.ErrAlreadyBooked) {
					break
				}
				if !errors.Is(err, vessel.ErrUnavailable) || time.Now().After(deadline) {
					t.Fatalf("TakeRoom(%+v) after the restart: %v", b, err)
				}
				if tries == 0 {
					leftovers++
				}
				time.Sleep(100 * time.Millisecond) // a leftover claim, until it is stale
			}
			if got, err := s.FindBooking(ctx, b.ConsignmentID); err != nil || got != b {
				t.Errorf("FindBooking(%q) = %+v, %v; want %+v", b.ConsignmentID, got, err, b)
			}
			wantContainers += b.Containers
			wantWeight += b.Weight
		}
		got, err := s.Get(ctx, fmt.Sprint("v", w))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.UsedCapacity != wantContainers || got.UsedWeight != wantWeight {
			t.Errorf("vessel v%d uses %d containers and %d kg, want %d and %d: the sum of its %d bookings",
				w, got.UsedCapacity, got.UsedWeight, wantContainers, wantWeight, attempted[w])
		}
	}
	t.Logf("of %d calls the crash failed, %d had written a claim only, %d had taken the room", workers, leftovers, applied)
}

// newTestStore returns a store over a new database, with the test timings.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(mongotest.NewDatabase(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.takeRoomTimeout, s.staleClaimAge, s.claimWait = testTakeRoomTimeout, testStaleClaimAge, testClaimWait
	return s
}

// newStoreWithVessel returns a store made by newTestStore that holds one
// vessel, "a", with room for 10 containers and 100 kg, and that vessel.
func newStoreWithVessel(t *testing.T) (*Store, vessel.Vessel) {
	t.Helper()
	s := newTestStore(t)
	v := vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 100, Available: true}
	if err := s.Create(t.Context(), v); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s, v
}

func insertClaim(t *testing.T, s *Store, d bookingDoc) {
	t.Helper()
	if _, err := s.bookings.InsertOne(t.Context(), d); err != nil {
		t.Fatalf("insert claim: %v", err)
	}
}

// assertVessel checks the stored vessel and that it lists no booking but
// those its used room counts.
func assertVessel(t *testing.T, s *Store, want vessel.Vessel) {
	t.Helper()
	var d vesselDoc
	if err := s.vessels.FindOne(t.Context(), bson.D{{Key: fieldID, Value: want.ID}}).Decode(&d); err != nil {
		t.Fatalf("read vessel %q: %v", want.ID, err)
	}
	if got := d.toVessel(); got != want {
		t.Errorf("stored vessel = %+v, want %+v", got, want)
	}
	if d.RemainingCapacity != want.RemainingCapacity() || d.RemainingWeight != want.RemainingWeight() {
		t.Errorf("stored remaining room = %d containers, %d kg; want %d, %d",
			d.RemainingCapacity, d.RemainingWeight, want.RemainingCapacity(), want.RemainingWeight())
	}
	if want.UsedCapacity == 0 && len(d.Booked) != 0 {
		t.Errorf("vessel with no room used lists bookings %q", d.Booked)
	}
}
