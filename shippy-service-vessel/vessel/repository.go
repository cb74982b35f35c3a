package vessel

import (
	"context"
	"errors"
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
// The two methods that change room, TakeRoom and ReleaseRoom, are each one
// atomic step: a MongoDB backend does the vessel change as one conditional
// update and keeps bookings in a collection with a unique key on the
// consignment id; a bbolt backend does each in one transaction.
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

	// TakeRoom records b and adds b.Containers and b.Weight to the room used
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
}
