package bolt

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestBatchFailureRerun makes a function fail in a batch it shares with
// concurrent bookings, after it has changed a vessel: the batcher rolls the
// transaction back and runs the bookings again in a new one. Each booking must
// count once, and the fleet in memory must match the file, without the
// failed change.
func TestBatchFailureRerun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openInternal(t)
	want := vessel.Vessel{ID: "a", Capacity: 1000, MaxWeight: 1000, Available: true}
	if err := s.Create(ctx, want); err != nil {
		t.Fatalf("Create: %v", err)
	}

	const bookings = 50
	shared := false // whether the failing function ran after a booking in its transaction
	boltdbtest.FailAmong(t, s.db, bookings, func(i int) error {
		_, err := s.TakeRoom(ctx, vessel.Booking{ConsignmentID: fmt.Sprint("c", i), VesselID: "a", Containers: 1, Weight: 2})
		return err
	}, func(tx *bbolt.Tx) error {
		shared = shared || s.working.tx == tx
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		f.vessels[0].UsedCapacity = 999
		return putVessel(tx, f.vessels[0])
	})
	if !shared {
		t.Error("the failing function never shared a transaction with a booking; the test tested nothing")
	}

	want.UsedCapacity, want.UsedWeight = bookings, 2*bookings
	assertFleetInMemoryAndFile(t, s, []vessel.Vessel{want})
}

// TestBookHeldRerun is TestBatchFailureRerun for BookHeld: batches, some
// of whose items are refused or book a consignment of another batch, run
// again after a rollback. Each outcome must be of the run that committed:
// the room of each booking counts once, and every booking has its hold.
func TestBookHeldRerun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openInternal(t)
	want := vessel.Vessel{ID: "a", Capacity: 1000, MaxWeight: 1000, Available: true}
	if err := s.Create(ctx, want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const batches = 40
	h := vessel.Hold{Holder: "h", Until: vessel.HoldTime(time.Now().Add(time.Hour))}
	outcomes := make([][]vessel.BookOutcome, batches)
	boltdbtest.FailAmong(t, s.db, batches, func(i int) error {
		reqs := []vessel.BookRequest{
			{ConsignmentID: fmt.Sprint("c", i), Containers: 1, Weight: 2},
			{ConsignmentID: fmt.Sprint("c", i/2), Containers: 1, Weight: 2}, // in another batch too
			{ConsignmentID: fmt.Sprint("big", i), Containers: 1001, Weight: 1},
		}
		var err error
		outcomes[i], err = s.BookHeld(ctx, reqs, h, time.Now())
		return err
	}, func(tx *bbolt.Tx) error {
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		f.vessels[0].UsedCapacity = 999
		if err := tx.Bucket(holdsBucket).Put([]byte("failed"), appendHold(nil, "h", 1)); err != nil {
			return err
		}
		return putVessel(tx, f.vessels[0])
	})
	for i, out := range outcomes {
		for j, o := range out[:2] {
			if o.Err != nil || o.Booking.Holder != "h" || o.Booking.HeldUntil != h.Until {
				t.Errorf("batch %d item %d: %+v, want a held booking", i, j, o)
			}
		}
		if !errors.Is(out[2].Err, vessel.ErrNoRoom) || out[2].Booking != (vessel.Booking{}) {
			t.Errorf("batch %d item 2: %+v, want ErrNoRoom and no booking", i, out[2])
		}
	}
	want.UsedCapacity, want.UsedWeight = batches, 2*batches
	assertFleetInMemoryAndFile(t, s, []vessel.Vessel{want})
	err := s.db.Bolt().View(func(tx *bbolt.Tx) error {
		if got, want := tx.Bucket(bookingsBucket).Stats().KeyN, batches; got != want {
			t.Errorf("%d bookings in the file, want %d", got, want)
		}
		if got, want := tx.Bucket(holdsBucket).Stats().KeyN, batches; got != want {
			t.Errorf("%d holds in the file, want %d", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBookHeldCommits checks that a batch commits, once, only when it
// books or renews: one that changes nothing writes nothing to the file.
func TestBookHeldCommits(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openInternal(t)
	if err := s.Create(ctx, vessel.Vessel{ID: "a", Capacity: 10, MaxWeight: 1000, Available: true}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	now := time.Now()
	h := vessel.Hold{Holder: "h", Until: vessel.HoldTime(now.Add(time.Hour))}
	reqs := make([]vessel.BookRequest, 10)
	for i := range reqs {
		reqs[i] = vessel.BookRequest{ConsignmentID: fmt.Sprint("c", i), Containers: 1, Weight: 1}
	}
	later := vessel.Hold{Holder: "h", Until: h.Until.Add(time.Minute)}
	steps := []struct { // in order
		name   string
		reqs   []vessel.BookRequest
		hold   vessel.Hold
		now    time.Time
		writes bool
	}{
		{"books", reqs, h, now, true},
		{"again, to the same end", reqs, h, now, false},
		{"no room", []vessel.BookRequest{{ConsignmentID: "x", Containers: 1, Weight: 1}}, h, now, false},
		{"other size", []vessel.BookRequest{{ConsignmentID: "c0", Containers: 2, Weight: 1}}, later, now, false},
		{"hold ran out", reqs[:1], later, h.Until, false},
		{"renews", reqs[:1], later, now, true},
	}
	for _, step := range steps {
		before := s.db.Bolt().Stats().TxStats
		if _, err := s.BookHeld(ctx, step.reqs, step.hold, step.now); err != nil {
			t.Fatalf("%s: BookHeld: %v", step.name, err)
		}
		after := s.db.Bolt().Stats().TxStats
		if wrote := after.GetWrite() > before.GetWrite(); wrote != step.writes {
			t.Errorf("%s: wrote to the file: %t, want %t", step.name, wrote, step.writes)
		}
	}
}

// TestReadsSeeAcknowledgedWrites races bookings with reads: a read that
// follows an acknowledged booking sees its room taken, and successive
// reads never see room come back, as they would from a stale copy of the
// fleet.
func TestReadsSeeAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openInternal(t)
	v := vessel.Vessel{ID: "a", Capacity: 10000, MaxWeight: 10000, Available: true}
	if err := s.Create(ctx, v); err != nil {
		t.Fatalf("Create: %v", err)
	}

	const writers, bookings = 8, 40
	var writing, reading sync.WaitGroup
	for w := range writers {
		writing.Go(func() {
			for i := range bookings {
				b := vessel.Booking{ConsignmentID: fmt.Sprint(w, "-", i), VesselID: "a", Containers: 1, Weight: 1}
				after, err := s.TakeRoom(ctx, b)
				if err != nil {
					t.Errorf("TakeRoom(%+v): %v", b, err)
					return
				}
				if got, err := s.Get(ctx, "a"); err != nil || got.UsedCapacity < after.UsedCapacity {
					t.Errorf("Get after TakeRoom returned %d containers used: %+v, %v", after.UsedCapacity, got, err)
				}
			}
		})
	}
	done := make(chan struct{})
	reading.Go(func() {
		var last int32
		for {
			select {
			case <-done:
				return
			default:
			}
			fleet, err := s.List(ctx)
			if err != nil || len(fleet) != 1 {
				t.Errorf("List = %+v, %v; want one vessel", fleet, err)
				return
			}
			if fleet[0].UsedCapacity < last {
				t.Errorf("List: %d containers used after %d", fleet[0].UsedCapacity, last)
			}
			last = fleet[0].UsedCapacity
		}
	})
	writing.Wait()
	close(done)
	reading.Wait()

	v.UsedCapacity, v.UsedWeight = writers*bookings, writers*bookings
	assertFleetInMemoryAndFile(t, s, []vessel.Vessel{v})
}

// assertFleetInMemoryAndFile checks that List, which reads the fleet kept
// in memory, and a decode of the file both give want.
func assertFleetInMemoryAndFile(t *testing.T, s *Store, want []vessel.Vessel) {
	t.Helper()
	got, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List:\n got %+v\nwant %+v", got, want)
	}
	err = s.db.Bolt().View(func(tx *bbolt.Tx) error {
		f, err := decodeFleet(tx, tx.ID())
		if err != nil {
			return err
		}
		if !slices.Equal(f.vessels, want) {
			t.Errorf("fleet in the file:\n got %+v\nwant %+v", f.vessels, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("decode the fleet in the file: %v", err)
	}
}

// openInternal opens a store in a new file and closes it when the test
// ends.
func openInternal(t *testing.T) *Store {
	t.Helper()
	return boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "vessels.db"))
}
