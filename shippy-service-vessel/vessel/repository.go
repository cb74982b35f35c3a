package vessel

import (
	"context"
	"errors"
	"time"
)

// ErrAlreadyBooked is returned by Repository.TakeRoom when the consignment
// already holds a booking. It stays between the Service and its Repository:
// the Service turns it into an idempotent answer or ErrConflict.
var ErrAlreadyBooked = errors.New("consignment already booked")

// Repository stores vessels and bookings. Implementations are safe for
// concurrent use, copy values in and out (a caller never shares memory with
// the store), and return ErrUnavailable (wrapped) when the backend cannot be
// reached. Any error not named in a method's contract is an internal error.
// A Repository does not apply the validation rules: the Service does, before
// it calls one.
//
// The methods that change room, TakeRoom, ReleaseRoom, BookHeld (per
// item) and ReleaseExpiredHold, are each one atomic step: a MongoDB
// backend does the vessel change as one conditional update and keeps
// bookings in a collection with a unique key on the consignment id; a
// bbolt backend does each in one transaction, and a whole BookHeld in
// one. Holds are decided by the time the caller passes as now.
type Repository interface {
	// Create stores a new vessel as given, booked room included. It returns
	// ErrConflict when a vessel with the same id exists; the stored vessel
	// is then unchanged.
	Create(ctx context.Context, v Vessel) error

	// Get returns the vessel with the id, or ErrNotFound.
	Get(ctx context.Context, id string) (Vessel, error)

	// List returns every vessel in ascending byte order of id; an empty
	// fleet is an empty slice and no error.
	List(ctx context.Context) ([]Vessel, error)

	// TakeRoom records b, its hold included (a Book's booking has none),
	// and adds b.Containers and b.Weight to the room used
	// on vessel b.VesselID, in one atomic step, and returns the vessel as it
	// is after the booking. Nothing changes when it fails:
	//   - ErrNotFound when no vessel has the id;
	//   - ErrNoRoom when the vessel is not available, or has less room left
	//     than b needs in either capacity or weight;
	//   - ErrAlreadyBooked when a booking for b.ConsignmentID exists, on any
	//     vessel, whatever its contents.
	// When several apply, ErrAlreadyBooked wins, then ErrNotFound.
	TakeRoom(ctx context.Context, b Booking) (Vessel, error)

	// FindBooking returns the booking of the consignment, or ErrNotFound.
	FindBooking(ctx context.Context, consignmentID string) (Booking, error)

	// ReleaseRoom deletes the booking of the consignment and gives its room
	// back to its vessel, in one atomic step, and returns the deleted
	// booking. It returns ErrNotFound when the consignment holds no booking.
	ReleaseRoom(ctx context.Context, consignmentID string) (Booking, error)

	// BookHeld books each of reqs, which must be valid, and returns one
	// outcome per request, in their order. A consignment that holds no
	// booking gets one, held by hold, on the first vessel in id order that
	// Fits the request; ErrNoRoom when none does. For a consignment that
	// holds a booking, the outcome is, with nothing taken:
	//   - ErrConflict, with that booking, when its containers or weight
	//     differ from the request's;
	//   - that booking when it is confirmed;
	//   - that booking, its hold renewed to run out at the later of its
	//     HeldUntil and hold.Until, when it is held by hold.Holder and its
	//     hold runs out after now;
	//   - ErrHoldExpired when it is held and its hold ran out at or before
	//     now;
	//   - ErrHeldElsewhere when it is held by another holder and its hold
	//     runs out after now: that holder's create may still store it, and
	//     only that holder's recovery settles it.
	// Requests are done in order, each seeing the ones before. A bbolt
	// backend does them all in one transaction; a MongoDB backend one
	// after another, and an outcome may then carry a store error
	// (ErrUnavailable), the same for the items after it, which it does not
	// try. The error is for a call that did no item.
	BookHeld(ctx context.Context, reqs []BookRequest, hold Hold, now time.Time) ([]BookOutcome, error)
	// Confirm ends the hold of the held bookings of the consignments, run
	// out or not, and returns how many it ended. Ids of consignments that
	// hold no booking, or a confirmed one, are skipped.
	Confirm(ctx context.Context, consignmentIDs []string) (int, error)
	// ListExpiredHolds returns at most limit bookings held by holder whose
	// hold ran out at or before now, in no particular order.
	ListExpiredHolds(ctx context.Context, holder string, now time.Time, limit int) ([]Booking, error)
	// ReleaseExpiredHold deletes the booking of the consignment and gives
	// its room back to its vessel if it is held and its hold ran out at or
	// before now, as one atomic step with respect to BookHeld and Confirm,
	// and reports whether it did. It returns false, changing nothing, when
	// the consignment holds no booking, a confirmed one, or one whose hold
	// runs out after now.
	ReleaseExpiredHold(ctx context.Context, consignmentID string, now time.Time) (bool, error)
}
