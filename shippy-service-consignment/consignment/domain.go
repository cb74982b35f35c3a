package consignment

import "github.com/shippy-suite/shippy/domain/consignment"

// The consignment, its rules and its errors are the shared domain module's
// (github.com/shippy-suite/shippy/domain/consignment), so that the CLI
// checks a consignment with the service's own rules without depending on
// the service's module. These names keep them in this package, beside the
// Service that creates consignments, under the names the service's code
// uses.
type (
	Consignment = consignment.Consignment
	Container   = consignment.Container
	FieldError  = consignment.FieldError
	Status      = consignment.Status
	Lease       = consignment.Lease
)

// The limits on a consignment's fields, the page sizes of List, and how far
// the create of a stored consignment has come (see Status).
const (
	MaxIDBytes, MaxDescriptionBytes = consignment.MaxIDBytes, consignment.MaxDescriptionBytes
	DefaultPageSize, MaxPageSize    = consignment.DefaultPageSize, consignment.MaxPageSize
	StatusPending, StatusBooked     = consignment.StatusPending, consignment.StatusBooked
	StatusCancelled                 = consignment.StatusCancelled
)

// Errors the service reports: the domain module's values, so that errors.Is
// matches either name.
var (
	ErrInvalid, ErrNoRoom, ErrConflict = consignment.ErrInvalid, consignment.ErrNoRoom, consignment.ErrConflict
	ErrNotFound, ErrUnavailable        = consignment.ErrNotFound, consignment.ErrUnavailable
)

// ErrBadPageToken returns the error of a List given a page token the
// repository did not issue: a *FieldError on "page_token".
func ErrBadPageToken() error {
	return &FieldError{Field: "page_token", Reason: "not a token from a previous page"}
}
