// Package consignment is the consignment domain that the consignment service
// and its clients share: consignments, the rules that make one valid, and
// the errors the service reports. The service's package of the same name
// (shippy-service-consignment/consignment) adds how a create works; the CLI
// uses these rules to reject bad input before it is sent. The module
// imports nothing outside the standard library, so that a client links no
// protobuf, storage or go-micro code through it.
package consignment

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits on a consignment's fields. Sizes are in bytes of UTF-8.
const (
	MaxIDBytes          = 128
	MaxDescriptionBytes = 4 << 10
)

// Page sizes of a listing (AIP-158): a request without a limit gets a page
// of DefaultPageSize consignments, and a larger limit is lowered to
// MaxPageSize. No rule bounds how many containers a consignment has, so no
// page size is sure to fit a 4 MiB message; these fit every consignment at
// the length limits with up to 7 containers (see docs/listing.md).
const (
	DefaultPageSize = 100
	MaxPageSize     = 500
)

// Errors the service reports. Callers test for them with errors.Is.
var (
	// ErrInvalid: the consignment breaks a validation rule. The error is a
	// *FieldError that names the field.
	ErrInvalid = errors.New("invalid consignment")
	// ErrNoRoom: no available vessel has room for the consignment.
	ErrNoRoom = errors.New("no vessel has room")
	// ErrConflict: the consignment id is taken by a different consignment.
	ErrConflict = errors.New("consignment id already used by a different consignment")
	// ErrNotFound: no consignment has the id.
	ErrNotFound = errors.New("consignment not found")
	// ErrUnavailable: a service or store the consignment service needs did
	// not answer; the call may be retried.
	ErrUnavailable = errors.New("unavailable")
)

// Status says how far the create of a stored consignment has come.
type Status string

const (
	// StatusPending: stored by an earlier release of the service before
	// its room was booked, with a Lease; never listed. The service now
	// stores consignments booked, and settles pending ones once their
	// lease has run out (see docs/crash-safe-create.md).
	StatusPending Status = "pending"
	// StatusBooked: the consignment is booked on VesselID. Only a cancel
	// changes it, to StatusCancelled.
	StatusBooked Status = "booked"
	// StatusCancelled: the consignment was booked, then cancelled by its
	// owner or an operator, and its room released (by the cancel, or by a
	// repeat of a cancel whose release failed); never listed. It is final:
	// the id stays taken.
	StatusCancelled Status = "cancelled"
)

// Lease is the claim of one create (or recovery) of the earlier release on
// a pending consignment: only its holder called the vessel service for the
// consignment, each call ending before Until. It is kept so that pending
// consignments that release stored can be read and settled.
type Lease struct {
	// Owner is the holder's token, unique to one create or recovery; empty
	// when nobody holds the lease.
	Owner string
	// Until is when the holder's claim runs out, and the time by which
	// every vessel call made for the consignment so far has ended. It never
	// moves back.
	Until time.Time
}

// Container is one container of a consignment.
type Container struct {
	ID         string
	CustomerID string
	Origin     string
	UserID     string
}

// Consignment is a set of containers with their total weight, booked onto
// one vessel.
type Consignment struct {
	ID          string
	Description string
	// Weight is the total weight of all containers, in kilograms.
	Weight     int32
	Containers []Container
	// VesselID is the vessel the consignment is booked on; empty until booked.
	VesselID string

	// Owner, Status, CreatedAt and Lease are the service's record of the
	// create; clients neither send nor see them.

	// Owner is the id, in the user service, of the user who booked the
	// consignment; empty for consignments stored before accounts existed.
	Owner string

	// Status is StatusBooked, StatusCancelled once cancelled, or
	// StatusPending for a consignment an earlier release left unfinished.
	Status Status
	// CreatedAt is when the service first stored the consignment.
	CreatedAt time.Time
	// Lease is the claim on a pending consignment; zero for a booked one.
	Lease Lease
}

// FieldError says which field of a consignment breaks which rule. Field is
// named as in the JSON and proto form: "weight", "containers[2].origin".
// It matches ErrInvalid under errors.Is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate returns a *FieldError for the first rule c breaks, or nil. It
// checks what a client submits; VesselID is the service's and is not checked.
func (c Consignment) Validate() error {
	if err := checkText("id", c.ID, MaxIDBytes, false); err != nil {
		return err
	}
	if err := checkText("description", c.Description, MaxDescriptionBytes, false); err != nil {
		return err
	}
	if c.Weight <= 0 {
		return &FieldError{"weight", fmt.Sprintf("must be positive, got %d", c.Weight)}
	}
	if len(c.Containers) == 0 {
		return &FieldError{"containers", "at least one container is required"}
	}
	for i, ct := range c.Containers {
		prefix := fmt.Sprintf("containers[%d].", i)
		fields := []struct {
			name, value string
			required    bool
		}{
			{"id", ct.ID, false},
			{"customer_id", ct.CustomerID, true},
			{"origin", ct.Origin, true},
			{"user_id", ct.UserID, false},
		}
		for _, f := range fields {
			if err := checkText(prefix+f.name, f.value, MaxIDBytes, f.required); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText checks one string field: valid UTF-8, at most max bytes, and not
// empty when required.
func checkText(field, value string, max int, required bool) error {
	switch {
	case required && value == "":
		return &FieldError{field, "required"}
	case len(value) > max:
		return &FieldError{field, fmt.Sprintf("longer than %d bytes", max)}
	case !utf8.ValidString(value):
		return &FieldError{field, "not valid UTF-8"}
	}
	return nil
}

// SameRequest reports whether c and other ask for the same consignment:
// equal in everything the client submits, and of the same Owner, whatever
// vessel either is booked on and however far either's create has come. A
// create retried with the same id must be the same request, so another
// user's create of a taken id is a conflict, never an answer with the
// stored consignment.
func (c Consignment) SameRequest(other Consignment) bool {
	if c.ID != other.ID || c.Owner != other.Owner || c.Description != other.Description ||
		c.Weight != other.Weight || len(c.Containers) != len(other.Containers) {
		return false
	}
	for i := range c.Containers {
		if c.Containers[i] != other.Containers[i] {
			return false
		}
	}
	return true
}
