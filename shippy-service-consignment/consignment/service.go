package consignment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Repository stores consignments. Implementations are safe for concurrent
// use and keep copies: changing a consignment after Create, or one returned by
// Get or List, does not change what is stored.
type Repository interface {
	// Create stores c under c.ID. It returns ErrConflict when a consignment
	// with that id is already stored, whatever its contents; of concurrent
	// creates with one id exactly one succeeds.
	Create(ctx context.Context, c Consignment) error
	// Get returns the consignment with the id, or ErrNotFound.
	Get(ctx context.Context, id string) (Consignment, error)
	// List returns up to limit consignments, oldest first in the order they
	// were created; limit 0 means all of them (limit is never negative).
	// pageToken is empty for the first page, or the nextPageToken of the
	// previous page; nextPageToken is empty when no consignment follows the
	// page. Tokens are opaque and stay valid while consignments are added;
	// one the repository did not issue gives a *FieldError on "page_token".
	List(ctx context.Context, limit int, pageToken string) (items []Consignment, nextPageToken string, err error)
}

// Booker takes room on a vessel for consignments. Both calls are idempotent
// by consignment id, so they may be retried.
type Booker interface {
	// Book takes room for containers and weight (kilograms) on a vessel and
	// returns the vessel's id. A retry with the same consignment id returns
	// the same vessel and takes no more room. Errors: ErrNoRoom when no
	// vessel has room; ErrConflict when the id is booked with other sizes;
	// ErrUnavailable when the vessel service could not be asked.
	Book(ctx context.Context, consignmentID string, containers, weight int32) (vesselID string, err error)
	// Release gives the consignment's room back. Releasing a consignment
	// that holds no booking succeeds.
	Release(ctx context.Context, consignmentID string) error
}

// Service books consignments onto vessels and keeps them.
type Service struct {
	repo   Repository
	booker Booker
	newID  func() string
	logger *slog.Logger
}

// NewService returns a Service that stores consignments in repo, books them
// with booker, and gives each consignment without an id one from newID.
func NewService(repo Repository, booker Booker, newID func() string, logger *slog.Logger) (*Service, error) {
	switch {
	case repo == nil:
		return nil, errors.New("new consignment service: nil repository")
	case booker == nil:
		return nil, errors.New("new consignment service: nil booker")
	case newID == nil:
		return nil, errors.New("new consignment service: nil id generator")
	case logger == nil:
		return nil, errors.New("new consignment service: nil logger")
	}
	return &Service{repo: repo, booker: booker, newID: newID, logger: logger}, nil
}

// Create validates c, books it onto a vessel and stores it, and returns it
// as stored: with its id (assigned when c has none) and its VesselID (the
// service's; a VesselID in c is ignored).
//
// Create is idempotent by id. When a consignment with c's id is stored
// already, the same request (SameRequest) returns the stored consignment and
// books nothing more; a different one is ErrConflict.
//
// Errors: a *FieldError (ErrInvalid) for input that breaks a rule; ErrNoRoom;
// ErrConflict; ErrUnavailable when the vessel service could not be asked;
// anything else is internal.
//
// Booking and storing are two steps in two services, so Create keeps them
// consistent this way:
//   - Storing fails after the room was taken: Create releases the booking
//     and returns the store error. If the store reports ErrConflict instead,
//     a concurrent create with the same id won the race; its booking is this
//     one (Book is idempotent by consignment id), so nothing is released and
//     the stored consignment is returned when it is the same request.
//   - The process stops between Book and store, or Book's outcome is unknown
//     (ErrUnavailable after a timeout): the room may be held with nothing
//     stored. The booking is keyed by the consignment id, so the client's
//     retry with the same id (the CLI always sends one) books the same room
//     again, idempotently, and stores the consignment. A client that sends
//     no id cannot retry this way; its booking stays held until released.
//
// Known window: if two creates with the same id race and the loser's store
// fails with an error other than ErrConflict, its release also frees the
// winner's booking (they are one booking).
func (s *Service) Create(ctx context.Context, c Consignment) (Consignment, error) {
	if err := c.Validate(); err != nil {
		return Consignment{}, err
	}
	c.VesselID = ""
	if c.ID == "" {
		c.ID = s.newID()
		if c.ID == "" {
			return Consignment{}, errors.New("create consignment: id generator returned an empty id")
		}
	}
	c.Containers = append([]Container(nil), c.Containers...) // the caller keeps its slice

	switch stored, err := s.repo.Get(ctx, c.ID); {
	case err == nil:
		return sameOrConflict(stored, c)
	case !errors.Is(err, ErrNotFound):
		return Consignment{}, fmt.Errorf("get consignment: %w", err)
	}

	vesselID, err := s.booker.Book(ctx, c.ID, int32(len(c.Containers)), c.Weight)
	if err != nil {
		return Consignment{}, fmt.Errorf("book vessel: %w", err)
	}
	c.VesselID = vesselID

	if err := s.repo.Create(ctx, c); err != nil {
		if errors.Is(err, ErrConflict) {
			return s.afterLostRace(ctx, c)
		}
		s.release(ctx, c.ID, err)
		return Consignment{}, fmt.Errorf("store consignment: %w", err)
	}
	s.logger.InfoContext(ctx, "consignment booked",
		"consignment_id", c.ID, "vessel_id", c.VesselID,
		"containers", len(c.Containers), "weight", c.Weight)
	return c, nil
}

// afterLostRace answers a create whose store found c's id taken by a
// concurrent create. The booking is shared with the winner, so it is kept.
func (s *Service) afterLostRace(ctx context.Context, c Consignment) (Consignment, error) {
	stored, err := s.repo.Get(ctx, c.ID)
	if err != nil {
		return Consignment{}, fmt.Errorf("get consignment after conflict: %w", err)
	}
	return sameOrConflict(stored, c)
}

// sameOrConflict returns stored when c asks for the same consignment, and
// ErrConflict otherwise.
func sameOrConflict(stored, c Consignment) (Consignment, error) {
	if !stored.SameRequest(c) {
		return Consignment{}, ErrConflict
	}
	return stored, nil
}

// release gives back the room booked for a consignment that could not be
// stored (cause). It runs even when ctx is cancelled, as the room would
// otherwise stay held; its failure is logged, because the caller returns
// cause.
func (s *Service) release(ctx context.Context, consignmentID string, cause error) {
	ctx = context.WithoutCancel(ctx)
	if err := s.booker.Release(ctx, consignmentID); err != nil {
		s.logger.ErrorContext(ctx, "release booking after failed store; the room stays held until released",
			"consignment_id", consignmentID, "store_error", cause, "error", err)
		return
	}
	s.logger.WarnContext(ctx, "released booking after failed store",
		"consignment_id", consignmentID, "store_error", cause)
}

// List returns up to limit consignments, oldest first; limit 0 means all.
// pageToken is empty for the first page or the nextPageToken of the last
// one; nextPageToken is empty after the last page. A negative limit or a
// token that was not issued is a *FieldError (ErrInvalid) on "limit" or
// "page_token".
func (s *Service) List(ctx context.Context, limit int, pageToken string) ([]Consignment, string, error) {
	if limit < 0 {
		return nil, "", &FieldError{"limit", fmt.Sprintf("must not be negative, got %d", limit)}
	}
	items, next, err := s.repo.List(ctx, limit, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("list consignments: %w", err)
	}
	return items, next, nil
}
