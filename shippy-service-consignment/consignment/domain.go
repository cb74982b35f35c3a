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

// Limits on a consignment's fields; see the domain module.
const (
	MaxIDBytes          = consignment.MaxIDBytes
	MaxDescriptionBytes = consignment.MaxDescriptionBytes
)

// Page sizes of List; see the domain module.
const (
	DefaultPageSize = consignment.DefaultPageSize
	MaxPageSize     = consignment.MaxPageSize
)

// How far the create of a stored consignment has come; see Status.
const (
	StatusPending = consignment.StatusPending
	StatusBooked  = consignment.StatusBooked
)

// Errors the service reports: the domain module's values, so that errors.Is
// matches either name.
var (
	ErrInvalid, ErrNoRoom, ErrConflict = consignment.ErrInvalid, consignment.ErrNoRoom, consignment.ErrConflict
	ErrNotFound, ErrUnavailable        = consignment.ErrNotFound, consignment.ErrUnavailable
)
