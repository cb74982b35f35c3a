// Package vessel is the domain of the vessel service: the fleet, the room
// left on each vessel, the rules for booking that room, and the errors the
// service reports. It imports neither protobuf nor a database driver; storage
// sits behind the Repository interface this package owns.
package vessel

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// MaxIDBytes bounds every identifier and name, in bytes of UTF-8.
const MaxIDBytes = 128

// MaxBatch bounds the items of a BookBatch, the ids of a Confirm and the
// limit of ListExpiredHolds.
const MaxBatch = 1000

// MaxHold bounds how long a BookBatch holds its bookings.
const MaxHold = 24 * time.Hour

// Errors the service reports. Callers test for them with errors.Is.
var (
	// ErrInvalid: the input breaks a validation rule. The error is a
	// *FieldError that names the field.
	ErrInvalid = errors.New("invalid input")
	// ErrNoRoom: no available vessel has room for the request.
	ErrNoRoom = errors.New("no vessel has room")
	// ErrConflict: an id (a vessel's, or a booking's consignment id) is
	// already used with different contents.
	ErrConflict = errors.New("id already used with different contents")
	// ErrNotFound: no vessel or booking has the id.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the store did not answer; the call may be retried.
	ErrUnavailable = errors.New("unavailable")
	// ErrHoldExpired: a BookBatch item names a consignment whose held
	// booking ran out and is being settled (confirmed or released); the
	// item may be retried once it is. It matches ErrUnavailable.
	ErrHoldExpired = fmt.Errorf("hold expired, being settled: %w", ErrUnavailable)
	// ErrHeldElsewhere: a BookBatch item names a consignment whose booking
	// is held by another holder (another consignment store), whose create
	// may still store it; the item may be retried once that holder has
	// settled it. It matches ErrUnavailable.
	ErrHeldElsewhere = fmt.Errorf("held by another consignment store until it settles the booking: %w", ErrUnavailable)
)

// Vessel is a ship of the fleet and the room booked on it. Capacity counts
// containers; weights are in kilograms.
//
// A stored vessel keeps 0 <= UsedCapacity <= Capacity and
// 0 <= UsedWeight <= MaxWeight.
type Vessel struct {
	ID      string
	Name    string
	OwnerID string
	// Capacity is the number of containers the vessel carries at most.
	Capacity int32
	// MaxWeight is the total weight the vessel carries at most.
	MaxWeight int32
	// Available reports whether the vessel takes bookings. Room already
	// booked on a vessel that becomes unavailable stays booked.
	Available bool
	// UsedCapacity is the number of containers booked.
	UsedCapacity int32
	// UsedWeight is the weight booked.
	UsedWeight int32
}

// RemainingCapacity is the number of containers that can still be booked.
func (v Vessel) RemainingCapacity() int32 { return v.Capacity - v.UsedCapacity }

// RemainingWeight is the weight that can still be booked.
func (v Vessel) RemainingWeight() int32 { return v.MaxWeight - v.UsedWeight }

// Fits reports whether v takes bookings and has room left for both the
// containers and the weight.
func (v Vessel) Fits(containers, weight int32) bool {
	return v.Available && v.RemainingCapacity() >= containers && v.RemainingWeight() >= weight
}

// Validate returns a *FieldError for the first rule v breaks, or nil. It
// checks what a client submits: an empty ID is valid (the service assigns
// one), and the used room is the service's and is not checked.
func (v Vessel) Validate() error {
	return firstError(
		checkText("id", v.ID, false),
		checkText("name", v.Name, false),
		checkText("owner_id", v.OwnerID, false),
		checkPositive("capacity", v.Capacity),
		checkPositive("max_weight", v.MaxWeight),
	)
}

// sameDefinition reports whether v and o describe the same vessel: equal in
// everything a client submits, whatever room is booked on either.
func (v Vessel) sameDefinition(o Vessel) bool {
	return v.ID == o.ID && v.Name == o.Name && v.OwnerID == o.OwnerID &&
		v.Capacity == o.Capacity && v.MaxWeight == o.MaxWeight && v.Available == o.Available
}

// Specification is the room a client asks for: a number of containers and a
// weight in kilograms. Zero asks for no room in that dimension.
type Specification struct {
	Capacity  int32
	MaxWeight int32
}

// Validate returns a *FieldError for the first rule s breaks, or nil.
func (s Specification) Validate() error {
	return firstError(
		checkNotNegative("capacity", s.Capacity),
		checkNotNegative("max_weight", s.MaxWeight),
	)
}

// BookRequest asks for room for one consignment. The service chooses the
// vessel.
type BookRequest struct {
	ConsignmentID string
	// Containers is the number of containers to carry.
	Containers int32
	// Weight is the total weight to carry, in kilograms.
	Weight int32
}

// Validate returns a *FieldError for the first rule r breaks, or nil.
func (r BookRequest) Validate() error {
	return firstError(
		checkText("consignment_id", r.ConsignmentID, true),
		checkPositive("containers", r.Containers),
		checkPositive("weight", r.Weight),
	)
}

// Booking is the room one consignment holds on one vessel. A consignment
// holds at most one booking.
//
// A booking made by BookBatch is held: it belongs to Holder until
// Confirm ends the hold, and once HeldUntil has passed,
// ReleaseExpiredHold may give its room back (see docs/crash-safe-create.md).
// Holder is empty and HeldUntil zero for a confirmed booking. Held or
// not, a booking takes its room.
type Booking struct {
	ConsignmentID string
	VesselID      string
	Containers    int32
	// Weight is in kilograms.
	Weight int32
	// Holder is who holds the booking; empty when it is confirmed.
	Holder string
	// HeldUntil is when the hold runs out, in whole milliseconds, UTC (see
	// HoldTime); zero when the booking is confirmed.
	HeldUntil time.Time
}

// Held reports whether b is held (not confirmed).
func (b Booking) Held() bool { return b.Holder != "" }

// HoldExpired reports whether b is held and its hold has run out at now:
// HeldUntil is not after now.
func (b Booking) HoldExpired(now time.Time) bool {
	return b.Held() && !b.HeldUntil.After(now)
}

// HoldTime returns t as a hold's end is stored: cut to the millisecond,
// in UTC, with no monotonic clock reading, so that it survives a round
// trip through milliseconds since the Unix epoch unchanged and compares
// with == .
func HoldTime(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Hold is what BookBatch holds its bookings by: the holder, and when the
// hold runs out (a HoldTime).
type Hold struct {
	Holder string
	Until  time.Time
}

// BookOutcome is the result of one item of a BookBatch: the booking, or
// the error that says why there is none.
type BookOutcome struct {
	Booking Booking
	Err     error
}

// answers reports whether b is the booking r asks for: same consignment,
// containers and weight, on whatever vessel.
func (b Booking) answers(r BookRequest) bool {
	return b.ConsignmentID == r.ConsignmentID && b.Containers == r.Containers && b.Weight == r.Weight
}

// FieldError says which field breaks which rule. Field is named as in the
// proto and JSON form, in snake_case: "max_weight", "consignment_id".
// It matches ErrInvalid under errors.Is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// firstError returns the first of errs that is not nil: the checks of a
// Validate, in the order of the fields.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkText checks one string field: not empty when required, at most
// MaxIDBytes bytes, valid UTF-8.
func checkText(field, value string, required bool) error {
	switch {
	case required && value == "":
		return &FieldError{field, "required"}
	case len(value) > MaxIDBytes:
		return &FieldError{field, fmt.Sprintf("longer than %d bytes", MaxIDBytes)}
	case !utf8.ValidString(value):
		return &FieldError{field, "not valid UTF-8"}
	}
	return nil
}

// checkBatchLen checks the number of items of a batch field.
func checkBatchLen(field string, n int) error {
	if n > MaxBatch {
		return &FieldError{field, fmt.Sprintf("more than %d, got %d", MaxBatch, n)}
	}
	return nil
}

func checkPositive(field string, n int32) error {
	if n <= 0 {
		return &FieldError{field, fmt.Sprintf("must be positive, got %d", n)}
	}
	return nil
}

func checkNotNegative(field string, n int32) error {
	if n < 0 {
		return &FieldError{field, fmt.Sprintf("must not be negative, got %d", n)}
	}
	return nil
}
