package bolt_test

import (
	"errors"
	"math"
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
// booked, c-released booked then released. Open upgrades it to the
// current version: everything is kept, its bookings are confirmed, and
// held bookings can be made.
func TestOpenVersion1(t *testing.T) {
	t.Parallel()
	path := copyFixture(t, "vessel-v1.db")
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
	assertSchema(t, path, schemaVersion)

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

// schemaVersion is the version of the file layout the store writes.
const schemaVersion = "3"

// TestOpenVersion2 opens testdata/vessel-v2.db, a file the release before
// protobuf records wrote (schema version 2, JSON records), and checks that
// Open upgrades it: every vessel with its room, every booking, confirmed
// or held (by two holders, a hold renewed, holds run out or not), and no
// booking released before; that it opens again as upgraded; and that the
// upgraded store books, renews, confirms and releases.
//
// The file was written by these calls, in order, at t0 (2025-06-01
// 12:00:00.123 UTC); "2100" is 2100-01-01 00:00:00.456 UTC:
//
//	Create vessel001..vessel004 (v2Fleet, no room used)
//	TakeRoom c-confirmed (vessel001, 3, 55000), c-full (vessel002, 10, 700), c-released (vessel001, 1, 10)
//	ReleaseRoom c-released
//	BookHeld holder-a until t0+30s, now t0: c-held-expired (2, 100), c-held-confirmed (1, 1), c-held-released (4, 40)
//	Confirm c-held-confirmed
//	ReleaseExpiredHold c-held-released, now t0+31s
//	BookHeld holder-b until 2100, now t0: c-held-live (5, 500)
//	BookHeld holder-a until 2100, now t0: c-held-live-a (6, 60)
//	BookHeld holder-a until 2100+1h, now t0: c-held-live-a (6, 60), renewed
//	TakeRoom c-held-takeroom (vessel004, 3, 3) held by holder-a until t0+1m
//	BookHeld holder-b until 2100, now t0: c-big (1000, 1000000), on vessel004
func TestOpenVersion2(t *testing.T) {
	t.Parallel()
	path := copyFixture(t, "vessel-v2.db")
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 123000000, time.UTC)
	future := time.Date(2100, 1, 1, 0, 0, 0, 456000000, time.UTC)
	fleet := v2Fleet()
	fleet[0].UsedCapacity, fleet[0].UsedWeight = 17, 55661
	fleet[1].UsedCapacity, fleet[1].UsedWeight = 10, 700
	fleet[3].UsedCapacity, fleet[3].UsedWeight = 1003, 1000003
	bookings := map[string]vessel.Booking{}
	for _, b := range []vessel.Booking{
		{ConsignmentID: "c-big", VesselID: "vessel004", Containers: 1000, Weight: 1000000, Holder: "holder-b", HeldUntil: future},
		{ConsignmentID: "c-confirmed", VesselID: "vessel001", Containers: 3, Weight: 55000},
		{ConsignmentID: "c-full", VesselID: "vessel002", Containers: 10, Weight: 700},
		{ConsignmentID: "c-held-confirmed", VesselID: "vessel001", Containers: 1, Weight: 1},
		{ConsignmentID: "c-held-expired", VesselID: "vessel001", Containers: 2, Weight: 100, Holder: "holder-a", HeldUntil: t0.Add(30 * time.Second)},
		{ConsignmentID: "c-held-live", VesselID: "vessel001", Containers: 5, Weight: 500, Holder: "holder-b", HeldUntil: future},
		{ConsignmentID: "c-held-live-a", VesselID: "vessel001", Containers: 6, Weight: 60, Holder: "holder-a", HeldUntil: future.Add(time.Hour)},
		{ConsignmentID: "c-held-takeroom", VesselID: "vessel004", Containers: 3, Weight: 3, Holder: "holder-a", HeldUntil: t0.Add(time.Minute)},
	} {
		bookings[b.ConsignmentID] = b
	}
	expired := []struct {
		holder string
		now    time.Time
		want   []string
	}{
		{"holder-a", t0.Add(30 * time.Second), []string{"c-held-expired"}},
		{"holder-a", future.Add(-time.Millisecond), []string{"c-held-expired", "c-held-takeroom"}},
		{"holder-b", future.Add(-time.Millisecond), nil},
		{"holder-b", future, []string{"c-big", "c-held-live"}},
		{"holder-c", future.Add(2 * time.Hour), nil},
	}
	for round := range 2 { // upgraded, then as upgraded
		s := mustOpen(t, path)
		ctx := t.Context()
		got, err := s.List(ctx)
		if err != nil || !slices.Equal(got, fleet) {
			t.Fatalf("round %d: List = %+v, %v; want %+v", round, got, err, fleet)
		}
		for _, want := range fleet {
			if got, err := s.Get(ctx, want.ID); err != nil || got != want {
				t.Errorf("round %d: Get(%q) = %+v, %v; want %+v", round, want.ID, got, err, want)
			}
		}
		for id, want := range bookings {
			if got, err := s.FindBooking(ctx, id); err != nil || got != want {
				t.Errorf("round %d: FindBooking(%q) = %+v, %v; want %+v", round, id, got, err, want)
			}
		}
		for _, id := range []string{"c-released", "c-held-released"} {
			if got, err := s.FindBooking(ctx, id); !errors.Is(err, vessel.ErrNotFound) {
				t.Errorf("round %d: FindBooking(%q) = %+v, %v; want ErrNotFound (released before the upgrade)", round, id, got, err)
			}
		}
		for _, e := range expired {
			got, err := s.ListExpiredHolds(ctx, e.holder, e.now, 10)
			var ids []string
			for _, b := range got {
				ids = append(ids, b.ConsignmentID)
				if b != bookings[b.ConsignmentID] {
					t.Errorf("round %d: ListExpiredHolds(%s, %v) listed %+v, want %+v", round, e.holder, e.now, b, bookings[b.ConsignmentID])
				}
			}
			if err != nil || !slices.Equal(ids, e.want) {
				t.Errorf("round %d: ListExpiredHolds(%s, %v) = %v, %v; want %v", round, e.holder, e.now, ids, err, e.want)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	assertSchema(t, path, schemaVersion)

	// The upgraded store books, renews, confirms and releases as a new one
	// does.
	s := mustOpen(t, path)
	ctx := t.Context()
	now := t0.Add(time.Hour)
	hold := vessel.Hold{Holder: "holder-a", Until: future.Add(2 * time.Hour)}
	out, err := s.BookHeld(ctx, []vessel.BookRequest{
		{ConsignmentID: "c-confirmed", Containers: 3, Weight: 55000},
		{ConsignmentID: "c-held-expired", Containers: 2, Weight: 100},
		{ConsignmentID: "c-held-live", Containers: 5, Weight: 500},
		{ConsignmentID: "c-held-live-a", Containers: 7, Weight: 60},
		{ConsignmentID: "c-new", Containers: 400, Weight: 1},
		{ConsignmentID: "c-new-big", Containers: 100, Weight: 1},
	}, hold, now)
	if err != nil {
		t.Fatalf("BookHeld: %v", err)
	}
	wantOut := []vessel.BookOutcome{
		{Booking: bookings["c-confirmed"]},
		{Err: vessel.ErrHoldExpired},
		{Err: vessel.ErrHeldElsewhere}, // held by holder-b, not renewed for holder-a
		{Booking: bookings["c-held-live-a"], Err: vessel.ErrConflict},
		{Booking: vessel.Booking{ConsignmentID: "c-new", VesselID: "vessel001", Containers: 400, Weight: 1, Holder: "holder-a", HeldUntil: hold.Until}},
		{Booking: vessel.Booking{ConsignmentID: "c-new-big", VesselID: "vessel004", Containers: 100, Weight: 1, Holder: "holder-a", HeldUntil: hold.Until}},
	}
	for i, want := range wantOut {
		if got := out[i]; got.Booking != want.Booking || !errors.Is(got.Err, want.Err) || (got.Err == nil) != (want.Err == nil) {
			t.Errorf("BookHeld item %d = %+v, want %+v", i, got, want)
		}
	}
	if n, err := s.Confirm(ctx, []string{"c-new", "c-held-live", "c-confirmed"}); err != nil || n != 2 {
		t.Errorf("Confirm = %d, %v; want 2", n, err)
	}
	if ok, err := s.ReleaseExpiredHold(ctx, "c-held-expired", now); err != nil || !ok {
		t.Errorf("ReleaseExpiredHold(c-held-expired) = %t, %v; want released", ok, err)
	}
	if _, err := s.ReleaseRoom(ctx, "c-full"); err != nil {
		t.Errorf("ReleaseRoom(c-full): %v", err)
	}
	fleet[0].UsedCapacity, fleet[0].UsedWeight = 17+400-2, 55661+1-100
	fleet[1].UsedCapacity, fleet[1].UsedWeight = 0, 0
	fleet[3].UsedCapacity, fleet[3].UsedWeight = 1003+100, 1000003+1
	if got, err := s.List(ctx); err != nil || !slices.Equal(got, fleet) {
		t.Errorf("List after booking and releasing = %+v, %v; want %+v", got, err, fleet)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path)
	if got, err := s.List(t.Context()); err != nil || !slices.Equal(got, fleet) {
		t.Errorf("List after opening again = %+v, %v; want %+v", got, err, fleet)
	}
	confirmed := wantOut[4].Booking
	confirmed.Holder, confirmed.HeldUntil = "", time.Time{}
	if got, err := s.FindBooking(t.Context(), "c-new"); err != nil || got != confirmed {
		t.Errorf("FindBooking(c-new) after opening again = %+v, %v; want it confirmed", got, err)
	}
}

// v2Fleet are the vessels of testdata/vessel-v2.db, with no room used.
func v2Fleet() []vessel.Vessel {
	return []vessel.Vessel{
		{ID: "vessel001", Name: "Boaty McBoatface", OwnerID: "owner-1", Capacity: 500, MaxWeight: 200000, Available: true},
		{ID: "vessel002", Name: "Emma Mærsk", Capacity: 10, MaxWeight: 1000, Available: true},
		{ID: "vessel003", Name: "closed", Capacity: 10, MaxWeight: 1000, Available: false},
		{ID: "vessel004", Name: "Ölfässer — 東京 \"q\" <&>", OwnerID: "owner-4", Capacity: math.MaxInt32, MaxWeight: math.MaxInt32, Available: true},
	}
}

// copyFixture copies testdata/name into a temporary directory and returns
// the copy's path.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
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
