package vessel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// testFleet is in id order. "a" is small, "b" large but not available, "c"
// large and heavy.
var testFleet = []vessel.Vessel{
	{ID: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true},
	{ID: "b", Name: "closed", Capacity: 100, MaxWeight: 100000, Available: false},
	{ID: "c", Name: "large", Capacity: 50, MaxWeight: 50000, Available: true},
}

// newService returns a Service over a new memory store holding fleet, and
// the store. New ids count up from "id-1".
func newService(t *testing.T, fleet ...vessel.Vessel) (*vessel.Service, *memory.Store) {
	t.Helper()
	store := memory.New()
	n := 0
	svc, err := vessel.NewService(store, func() string { n++; return fmt.Sprint("id-", n) }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	for _, v := range fleet {
		if err := store.Create(t.Context(), v); err != nil {
			t.Fatalf("Create(%+v): %v", v, err)
		}
	}
	return svc, store
}

func TestNewServiceChecksDependencies(t *testing.T) {
	t.Parallel()
	if _, err := vessel.NewService(nil, func() string { return "x" }, time.Now); err == nil {
		t.Error("NewService(nil repository) succeeded, want an error")
	}
	if _, err := vessel.NewService(memory.New(), nil, time.Now); err == nil {
		t.Error("NewService(nil id generator) succeeded, want an error")
	}
	if _, err := vessel.NewService(memory.New(), func() string { return "x" }, nil); err == nil {
		t.Error("NewService(nil clock) succeeded, want an error")
	}
}

func TestFindAvailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    vessel.Specification
		booked  []vessel.BookRequest // booked before the query
		wantID  string
		wantErr error
	}{
		{"first fit in id order", vessel.Specification{Capacity: 5, MaxWeight: 1000}, nil, "a", nil},
		{"too many containers for a", vessel.Specification{Capacity: 6}, nil, "c", nil},
		{"too heavy for a", vessel.Specification{MaxWeight: 1001}, nil, "c", nil},
		{"empty specification", vessel.Specification{}, nil, "a", nil},
		{
			name:   "by the room left",
			spec:   vessel.Specification{Capacity: 2},
			booked: []vessel.BookRequest{{ConsignmentID: "c1", Containers: 4, Weight: 10}},
			wantID: "c",
		},
		{"unavailable vessel never fits", vessel.Specification{Capacity: 100}, nil, "", vessel.ErrNoRoom},
		{"negative capacity", vessel.Specification{Capacity: -1}, nil, "", vessel.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, store := newService(t, testFleet...)
			for _, req := range tt.booked {
				if _, _, err := svc.Book(t.Context(), req); err != nil {
					t.Fatalf("Book(%+v): %v", req, err)
				}
			}
			before := mustList(t, store)
			got, err := svc.FindAvailable(t.Context(), tt.spec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FindAvailable(%+v): error %v, want %v", tt.spec, err, tt.wantErr)
			}
			if got.ID != tt.wantID {
				t.Errorf("FindAvailable(%+v) = vessel %q, want %q", tt.spec, got.ID, tt.wantID)
			}
			if after := mustList(t, store); !slices.Equal(after, before) {
				t.Errorf("FindAvailable changed the fleet:\n got %+v\nwant %+v", after, before)
			}
		})
	}
}

func TestNoRoomMessage(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, testFleet...)
	_, _, err := svc.Book(t.Context(), vessel.BookRequest{ConsignmentID: "c1", Containers: 51, Weight: 1})
	want := "no vessel has room for 51 containers and 1 kg"
	if err == nil || err.Error() != want {
		t.Errorf("Book too large: error %v, want %q", err, want)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	stored := vessel.Vessel{ID: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, UsedCapacity: 2, UsedWeight: 20}
	tests := []struct {
		name    string
		in      vessel.Vessel
		want    vessel.Vessel
		wantErr error
	}{
		{
			name: "new id assigned, used room ignored",
			in:   vessel.Vessel{Name: "n", Capacity: 3, MaxWeight: 30, UsedCapacity: 3, UsedWeight: 30},
			want: vessel.Vessel{ID: "id-1", Name: "n", Capacity: 3, MaxWeight: 30},
		},
		{
			name: "given id kept",
			in:   vessel.Vessel{ID: "z", Capacity: 3, MaxWeight: 30, Available: true},
			want: vessel.Vessel{ID: "z", Capacity: 3, MaxWeight: 30, Available: true},
		},
		{
			name: "retry returns the stored vessel",
			in:   vessel.Vessel{ID: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true},
			want: stored,
		},
		{
			name:    "same id, different vessel",
			in:      vessel.Vessel{ID: "a", Name: "other", Capacity: 5, MaxWeight: 1000, Available: true},
			wantErr: vessel.ErrConflict,
		},
		{
			name:    "invalid",
			in:      vessel.Vessel{ID: "x", Capacity: 5},
			wantErr: vessel.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, store := newService(t, stored)
			got, err := svc.Create(t.Context(), tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Create(%+v): error %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Create(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
			if tt.wantErr != nil {
				return
			}
			if s, err := store.Get(t.Context(), tt.want.ID); err != nil || s != tt.want {
				t.Errorf("stored after Create = %+v, %v; want %+v", s, err, tt.want)
			}
		})
	}
}

func TestBook(t *testing.T) {
	t.Parallel()
	svc, store := newService(t, testFleet...)
	ctx := t.Context()

	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 3, Weight: 300}
	b, v, err := svc.Book(ctx, req)
	if err != nil {
		t.Fatalf("Book(%+v): %v", req, err)
	}
	wantB := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 3, Weight: 300}
	if b != wantB {
		t.Errorf("Book = %+v, want %+v", b, wantB)
	}
	if v.ID != "a" || v.RemainingCapacity() != 2 || v.RemainingWeight() != 700 {
		t.Errorf("vessel after Book = %+v, want a with 2 containers and 700 kg left", v)
	}

	// A retry returns the same booking and takes no more room.
	b2, v2, err := svc.Book(ctx, req)
	if err != nil || b2 != wantB || v2 != v {
		t.Errorf("Book retry = %+v, %+v, %v; want %+v, %+v, nil", b2, v2, err, wantB, v)
	}

	// The same consignment with a different size conflicts.
	for _, other := range []vessel.BookRequest{
		{ConsignmentID: "c1", Containers: 4, Weight: 300},
		{ConsignmentID: "c1", Containers: 3, Weight: 301},
	} {
		if _, _, err := svc.Book(ctx, other); !errors.Is(err, vessel.ErrConflict) {
			t.Errorf("Book(%+v) after %+v: error %v, want ErrConflict", other, req, err)
		}
	}

	// The next consignment that does not fit what is left on "a" goes to
	// "c", skipping unavailable "b".
	b3, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: "c2", Containers: 3, Weight: 10})
	if err != nil || b3.VesselID != "c" {
		t.Errorf("Book c2 = %+v, %v; want a booking on c", b3, err)
	}

	// No room anywhere: ErrNoRoom, and nothing changes.
	before := mustList(t, store)
	if _, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: "c3", Containers: 48, Weight: 1}); !errors.Is(err, vessel.ErrNoRoom) {
		t.Errorf("Book too large: error %v, want ErrNoRoom", err)
	}
	if after := mustList(t, store); !slices.Equal(after, before) {
		t.Errorf("failed Book changed the fleet:\n got %+v\nwant %+v", after, before)
	}
	if _, err := store.FindBooking(ctx, "c3"); !errors.Is(err, vessel.ErrNotFound) {
		t.Errorf("failed Book left a booking: %v", err)
	}

	// Invalid input.
	if _, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: "c4", Containers: 1}); !errors.Is(err, vessel.ErrInvalid) {
		t.Errorf("Book without weight: error %v, want ErrInvalid", err)
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	svc, store := newService(t, testFleet...)
	ctx := t.Context()
	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 5, Weight: 1000}
	if _, _, err := svc.Book(ctx, req); err != nil {
		t.Fatalf("Book: %v", err)
	}

	tests := []struct {
		id           string
		wantReleased bool
		wantErr      error
	}{
		{"c1", true, nil},
		{"c1", false, nil}, // again: nothing to release
		{"never-booked", false, nil},
		{"", false, vessel.ErrInvalid},
	}
	for _, tt := range tests {
		got, err := svc.Release(ctx, tt.id)
		if got != tt.wantReleased || !errors.Is(err, tt.wantErr) {
			t.Errorf("Release(%q) = %t, %v; want %t, %v", tt.id, got, err, tt.wantReleased, tt.wantErr)
		}
	}
	if got := mustList(t, store); !slices.Equal(got, testFleet) {
		t.Errorf("fleet after Release:\n got %+v\nwant %+v", got, testFleet)
	}
	// The room is back: the same consignment books "a" again.
	if b, _, err := svc.Book(ctx, req); err != nil || b.VesselID != "a" {
		t.Errorf("Book after Release = %+v, %v; want a booking on a", b, err)
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	svc, store := newService(t)
	ctx := t.Context()
	if err := svc.Seed(ctx, testFleet[:2]); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if _, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: "c1", Containers: 2, Weight: 20}); err != nil {
		t.Fatalf("Book: %v", err)
	}

	// Seeding again, with "a" described differently and a new vessel "c",
	// adds "c" only and keeps the room booked on "a".
	changed := slices.Clone(testFleet)
	changed[0].Capacity = 99
	if err := svc.Seed(ctx, changed); err != nil {
		t.Fatalf("Seed again: %v", err)
	}
	want := slices.Clone(testFleet)
	want[0].UsedCapacity, want[0].UsedWeight = 2, 20
	if got := mustList(t, store); !slices.Equal(got, want) {
		t.Errorf("fleet after second Seed:\n got %+v\nwant %+v", got, want)
	}

	// An invalid fleet adds nothing.
	bad := []vessel.Vessel{{ID: "d", Capacity: 1, MaxWeight: 1}, {ID: "e"}}
	if err := svc.Seed(ctx, bad); !errors.Is(err, vessel.ErrInvalid) || !strings.HasPrefix(err.Error(), "[1].capacity") {
		t.Errorf("Seed(invalid fleet): error %v, want [1].capacity invalid", err)
	}
	if got := mustList(t, store); len(got) != len(want) {
		t.Errorf("Seed(invalid fleet) stored vessels: %+v", got)
	}
}

// TestStoreErrorsPassThrough checks that store failures keep their cause,
// so the handler can tell an unavailable store from a broken one.
func TestStoreErrorsPassThrough(t *testing.T) {
	t.Parallel()
	svc, err := vessel.NewService(failingRepo{vessel.ErrUnavailable}, func() string { return "x" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	ctx := t.Context()
	calls := map[string]func() error{
		"FindAvailable": func() error { _, err := svc.FindAvailable(ctx, vessel.Specification{}); return err },
		"Create": func() error {
			_, err := svc.Create(ctx, vessel.Vessel{Capacity: 1, MaxWeight: 1})
			return err
		},
		"Book": func() error {
			_, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: "c", Containers: 1, Weight: 1})
			return err
		},
		"Release": func() error { _, err := svc.Release(ctx, "c"); return err },
		"List":    func() error { _, err := svc.List(ctx); return err },
		"BookBatch": func() error {
			_, err := svc.BookBatch(ctx, "h", time.Second, []vessel.BookRequest{{ConsignmentID: "c", Containers: 1, Weight: 1}})
			return err
		},
		"Confirm":            func() error { _, err := svc.Confirm(ctx, []string{"c"}); return err },
		"ListExpiredHolds":   func() error { _, err := svc.ListExpiredHolds(ctx, "h", 1); return err },
		"ReleaseExpiredHold": func() error { _, err := svc.ReleaseExpiredHold(ctx, "c"); return err },
		"Seed":               func() error { return svc.Seed(ctx, testFleet) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, vessel.ErrUnavailable) {
			t.Errorf("%s over an unavailable store: error %v, want ErrUnavailable", name, err)
		}
	}
}

// failingRepo fails every call with err.
type failingRepo struct{ err error }

func (r failingRepo) Create(context.Context, vessel.Vessel) error { return r.err }
func (r failingRepo) Get(context.Context, string) (vessel.Vessel, error) {
	return vessel.Vessel{}, r.err
}
func (r failingRepo) List(context.Context) ([]vessel.Vessel, error) { return nil, r.err }
func (r failingRepo) TakeRoom(context.Context, vessel.Booking) (vessel.Vessel, error) {
	return vessel.Vessel{}, r.err
}
func (r failingRepo) FindBooking(context.Context, string) (vessel.Booking, error) {
	return vessel.Booking{}, r.err
}
func (r failingRepo) ReleaseRoom(context.Context, string) (vessel.Booking, error) {
	return vessel.Booking{}, r.err
}
func (r failingRepo) BookHeld(context.Context, []vessel.BookRequest, vessel.Hold, time.Time) ([]vessel.BookOutcome, error) {
	return nil, r.err
}
func (r failingRepo) Confirm(context.Context, []string) (int, error) { return 0, r.err }
func (r failingRepo) ListExpiredHolds(context.Context, string, time.Time, int) ([]vessel.Booking, error) {
	return nil, r.err
}
func (r failingRepo) ReleaseExpiredHold(context.Context, string, time.Time) (bool, error) {
	return false, r.err
}

func mustList(t *testing.T, store *memory.Store) []vessel.Vessel {
	t.Helper()
	vessels, err := store.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return vessels
}

// TestBookLosesRaces replays, deterministically, the races Book can lose
// between reading the fleet and taking room: a hook runs another booking
// right before Book's first TakeRoom.
func TestBookLosesRaces(t *testing.T) {
	t.Parallel()
	req := vessel.BookRequest{ConsignmentID: "c1", Containers: 1, Weight: 10}
	// a has room for one container; otherTakesA takes it.
	a := vessel.Vessel{ID: "a", Capacity: 1, MaxWeight: 100, Available: true}
	otherTakesA := vessel.Booking{ConsignmentID: "other", VesselID: "a", Containers: 1, Weight: 10}
	tests := []struct {
		name       string
		fleet      []vessel.Vessel
		meanwhile  vessel.Booking // taken right before Book's first TakeRoom
		wantVessel string         // "" when Book fails
		wantErr    error
	}{
		{
			name:       "next vessel when the first is taken",
			fleet:      []vessel.Vessel{a, {ID: "c", Capacity: 5, MaxWeight: 100, Available: true}},
			meanwhile:  otherTakesA,
			wantVessel: "c",
		},
		{name: "no room when every vessel is taken", fleet: []vessel.Vessel{a}, meanwhile: otherTakesA, wantErr: vessel.ErrNoRoom},
		{
			name:       "a concurrent retry booked the consignment",
			fleet:      []vessel.Vessel{a},
			meanwhile:  vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 1, Weight: 10},
			wantVessel: "a",
		},
		{
			name:      "a concurrent request booked the consignment differently",
			fleet:     []vessel.Vessel{{ID: "a", Capacity: 5, MaxWeight: 100, Available: true}},
			meanwhile: vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 10},
			wantErr:   vessel.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, store := newService(t, tt.fleet...)
			repo := &racingRepo{Repository: store, before: func(ctx context.Context) {
				if _, err := store.TakeRoom(ctx, tt.meanwhile); err != nil {
					t.Errorf("concurrent TakeRoom(%+v): %v", tt.meanwhile, err)
				}
			}}
			svc, err := vessel.NewService(repo, func() string { return "x" }, time.Now)
			if err != nil {
				t.Fatalf("NewService: %v", err)
			}
			b, _, err := svc.Book(t.Context(), req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Book: error %v, want %v", err, tt.wantErr)
			}
			if b.VesselID != tt.wantVessel {
				t.Errorf("Book on vessel %q, want %q", b.VesselID, tt.wantVessel)
			}
			for _, v := range mustList(t, store) {
				if v.UsedCapacity > v.Capacity {
					t.Errorf("vessel %s overbooked: %+v", v.ID, v)
				}
			}
		})
	}
}

// racingRepo runs before once, right before the first TakeRoom.
type racingRepo struct {
	vessel.Repository
	before func(context.Context)
	done   bool
}

func (r *racingRepo) TakeRoom(ctx context.Context, b vessel.Booking) (vessel.Vessel, error) {
	if !r.done {
		r.done = true
		r.before(ctx)
	}
	return r.Repository.TakeRoom(ctx, b)
}
