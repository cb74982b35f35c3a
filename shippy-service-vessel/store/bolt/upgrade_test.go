package bolt_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestOpenVersion1 opens testdata/vessel-v1.db, a file the release before
// holds wrote (schema version 1): three vessels, c-booked and c-full
// booked, c-released booked then released. Open upgrades it to version 2:
// everything is kept, its bookings are confirmed, and held bookings can be
// made.
func TestOpenVersion1(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "vessel.db")
	data, err := os.ReadFile(filepath.Join("testdata", "vessel-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	fleet := []vessel.Vessel{
		{ID: "vessel001", Name: "Boaty McBoatface", OwnerID: "owner-1", Capacity: 500, MaxWeight: 200000, Available: true, UsedCapacity: 3, UsedWeight: 55000},
		{ID: "vessel002", Name: "Emma Mærsk", Capacity: 10, MaxWeight: 1000, Available: true, UsedCapacity: 10, UsedWeight: 700},
		{ID: "vessel003", Name: "closed", Capacity: 10, MaxWeight: 1000, Available: false},
	}
	bookings := []vessel.Booking{
		{ConsignmentID: "c-booked", VesselID: "vessel001", Containers: 3, Weight: 55000},
		{ConsignmentID: "c-full", VesselID: "vessel002", Containers: 10, Weight: 700},
	}
	for round := range 2 { // upgraded, then as upgraded
		s := mustOpen(t, path)
		ctx := t.Context()
		got, err := s.List(ctx)
		if err != nil || !slices.Equal(got, fleet) {
			t.Fatalf("round %d: List = %+v, %v; want %+v", round, got, err, fleet)
		}
		for _, want := range bookings {
			if got, err := s.FindBooking(ctx, want.ConsignmentID); err != nil || got != want {
				t.Errorf("round %d: FindBooking(%q) = %+v, %v; want %+v", round, want.ConsignmentID, got, err, want)
			}
		}
		if got, err := s.FindBooking(ctx, "c-released"); err == nil {
			t.Errorf("round %d: FindBooking(c-released) = %+v, want ErrNotFound", round, got)
		}
		if got, err := s.ListExpiredHolds(ctx, "h", time.Now().Add(time.Hour), 10); err != nil || len(got) != 0 {
			t.Errorf("round %d: ListExpiredHolds = %+v, %v; want none", round, got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	assertSchema(t, path, "2")

	// The upgraded store books, holds and releases as a new one does.
	s := mustOpen(t, path)
	ctx := t.Context()
	now := time.Now()
	hold := vessel.Hold{Holder: "h", Until: vessel.HoldTime(now.Add(time.Second))}
	out, err := s.BookHeld(ctx, []vessel.BookRequest{
		{ConsignmentID: "c-booked", Containers: 3, Weight: 55000},
		{ConsignmentID: "c-new", Containers: 1, Weight: 1},
	}, hold, now)
	if err != nil {
		t.Fatalf("BookHeld: %v", err)
	}
	if out[0].Err != nil || out[0].Booking != bookings[0] {
		t.Errorf("BookHeld of a booking of version 1 = %+v, want it as it is, confirmed", out[0])
	}
	want := vessel.Booking{ConsignmentID: "c-new", VesselID: "vessel001", Containers: 1, Weight: 1, Holder: "h", HeldUntil: hold.Until}
	if out[1].Err != nil || out[1].Booking != want {
		t.Errorf("BookHeld = %+v, want %+v", out[1], want)
	}
	if _, err := s.ReleaseRoom(ctx, "c-full"); err != nil {
		t.Errorf("ReleaseRoom of a booking of version 1: %v", err)
	}
}

// assertSchema checks the schema version in the file at path.
func assertSchema(t *testing.T, path, want string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket([]byte("meta")).Get([]byte("schema"))); got != want {
			t.Errorf("schema version %q, want %q", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
