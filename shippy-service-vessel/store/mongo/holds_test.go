package mongo

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/internal/record"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestHoldsIndex checks that ListExpiredHolds creates the index it
// queries by.
func TestHoldsIndex(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	if _, err := s.ListExpiredHolds(t.Context(), "h", time.Now(), 10); err != nil {
		t.Fatalf("ListExpiredHolds: %v", err)
	}
	specs, err := s.bookings.Indexes().ListSpecifications(t.Context())
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	for _, spec := range specs {
		if spec.Name == "holder_held_until" {
			return
		}
	}
	t.Errorf("indexes %+v, want holder_held_until", specs)
}

// TestReleaseLeftovers checks the documents a ReleaseExpiredHold that
// stopped half-way leaves, and a claim with a hold that ran out while its
// TakeRoom may still take the room.
func TestReleaseLeftovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		claimedAge  time.Duration // before now
		listed      bool          // the vessel lists the consignment: its room is taken
		releasing   bool          // a release has marked the document
		wantRelease bool
		wantDoc     bool // the document is left after ReleaseExpiredHold
	}{
		{name: "marked, room still taken", claimedAge: time.Hour, listed: true, releasing: true, wantRelease: true},
		{name: "marked, room given back", claimedAge: time.Hour, releasing: true},
		{name: "young claim, hold run out", wantDoc: true},
		{name: "stale claim, hold run out", claimedAge: testStaleClaimAge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The claim's age counts from now, when the subtest runs: a
			// parallel subtest may start seconds after its parent.
			now := time.Now()
			ranOut := now.Add(-time.Second).UnixMilli()
			ctx := t.Context()
			s, v := newStoreWithVessel(t)
			b := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 20}
			d := bookingDoc{
				ConsignmentID: "c1", Booking: record.FromBooking(b),
				Claim: primitive.NewObjectID(), ClaimedAt: now.Add(-tt.claimedAge),
				Holder: "h", HeldUntil: ranOut, Releasing: tt.releasing,
			}
			insertClaim(t, s, d)
			if tt.listed {
				if _, err := s.takeRoom(ctx, b); err != nil {
					t.Fatalf("takeRoom: %v", err)
				}
			}
			if tt.releasing {
				if n, err := s.Confirm(ctx, []string{"c1"}); err != nil || n != 0 {
					t.Errorf("Confirm of a document being released = %d, %v; want 0", n, err)
				}
			}
			if tt.releasing && tt.listed {
				// Not renewed once marked. (A BookHeld replaces a stale
				// claim, marked or not, as TakeRoom does.)
				out, err := s.BookHeld(ctx, []vessel.BookRequest{{ConsignmentID: "c1", Containers: 2, Weight: 20}}, vessel.Hold{Holder: "h", Until: now.Add(time.Hour)}, now.Add(-time.Hour))
				if err != nil || !errors.Is(out[0].Err, vessel.ErrHoldExpired) {
					t.Errorf("BookHeld of a document being released = %+v, %v; want ErrHoldExpired", out, err)
				}
			}
			if listed, err := s.ListExpiredHolds(ctx, "h", now, 10); err != nil || len(listed) != 1 {
				t.Errorf("ListExpiredHolds = %+v, %v; want c1", listed, err)
			}
			released, err := s.ReleaseExpiredHold(ctx, "c1", now)
			if err != nil || released != tt.wantRelease {
				t.Fatalf("ReleaseExpiredHold = %t, %v; want %t", released, err, tt.wantRelease)
			}
			assertVessel(t, s, v) // no room taken, or given back
			n, err := s.bookings.CountDocuments(ctx, bson.D{{Key: fieldID, Value: "c1"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := n == 1; got != tt.wantDoc {
				t.Errorf("document left: %t, want %t", got, tt.wantDoc)
			}
		})
	}
}

// TestYoungClaimBecomesBooking checks a claim whose hold ran out and whose
// TakeRoom takes the room after a ReleaseExpiredHold left it: the next
// ReleaseExpiredHold releases the booking it became.
func TestYoungClaimBecomesBooking(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, v := newStoreWithVessel(t)
	now := time.Now()
	b := vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 20, Holder: "h", HeldUntil: vessel.HoldTime(now.Add(-time.Second))}
	insertClaim(t, s, toBookingDoc(b, primitive.NewObjectID(), now))
	if released, err := s.ReleaseExpiredHold(ctx, "c1", now); err != nil || released {
		t.Fatalf("ReleaseExpiredHold of a young claim = %t, %v; want false", released, err)
	}
	if _, err := s.takeRoom(ctx, b); err != nil {
		t.Fatalf("takeRoom: %v", err)
	}
	if got, err := s.FindBooking(ctx, "c1"); err != nil || got != b {
		t.Errorf("FindBooking = %+v, %v; want %+v", got, err, b)
	}
	if released, err := s.ReleaseExpiredHold(ctx, "c1", now); err != nil || !released {
		t.Fatalf("ReleaseExpiredHold of the booking = %t, %v; want true", released, err)
	}
	assertVessel(t, s, v)
}
