package consignment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Repository stores consignments and the state of their creates (see
// Service.Create). Implementations are safe for concurrent use and keep
// copies: changing a consignment after Create, or one returned by Get, List
// or ListPending, does not change what is stored.
//
// Each method is one atomic step (in bbolt one transaction, in MongoDB one
// conditional write): TransferLease, MarkBooked and DeletePending change a
// pending consignment only while it is leased to the owner the call names,
// so of concurrent calls on one consignment at most one of them succeeds.
// Times are kept to the millisecond at least.
type Repository interface {
	// Create stores c under c.ID, as given (Status, CreatedAt and Lease
	// included). It returns ErrConflict when a consignment with that id is
	// stored already, pending or booked, whatever its contents; of
	// concurrent creates with one id exactly one succeeds.
	Create(ctx context.Context, c Consignment) error
	// Get returns the consignment with the id, pending or booked, or
	// ErrNotFound.
	Get(ctx context.Context, id string) (Consignment, error)
	// List returns up to limit booked consignments, oldest first in the
	// order they were created (pending ones are skipped, and take their
	// place in that order when booked). limit is never negative: Service.List
	// passes 1 to MaxPageSize; 0, all of them, is for tests. pageToken is
	// empty for the first page, or the nextPageToken of the previous page;
	// nextPageToken is empty when no booked consignment follows the page.
	// Tokens are opaque and stay valid while consignments are added, booked
	// and deleted; one the repository did not issue gives ErrBadPageToken().
	List(ctx context.Context, limit int, pageToken string) (items []Consignment, nextPageToken string, err error)

	// TransferLease moves the lease of the pending consignment with the id
	// from owner ("" for a lease nobody holds) to next.Owner, and its Until
	// to next.Until if that is later: Until never moves back. It returns the
	// lease as it was before, or ErrNotFound when no pending consignment
	// with the id is leased to owner.
	TransferLease(ctx context.Context, id, owner string, next Lease) (Lease, error)
	// MarkBooked records that the pending consignment with the id, leased
	// to owner, is booked on vesselID: its Status becomes StatusBooked and
	// its Lease zero. It returns ErrNotFound when no pending consignment
	// with the id is leased to owner.
	MarkBooked(ctx context.Context, id, owner, vesselID string) error
	// DeletePending deletes the pending consignment with the id leased to
	// owner; the id is free again. It returns ErrNotFound when no pending
	// consignment with the id is leased to owner. Booked consignments are
	// never deleted.
	DeletePending(ctx context.Context, id, owner string) error
	// ListPending returns up to limit (> 0) pending consignments whose
	// lease's Until is at or before t, held or not, in no particular order.
	ListPending(ctx context.Context, t time.Time, limit int) ([]Consignment, error)
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

// LeaseDuration is how long a create (or a recovery) holds a pending
// consignment: the time it has to book the consignment's room and record
// the booking before another create of it, or Recover, may take over.
// Every vessel call made under a lease runs under a deadline of half the
// lease; the other half is the margin for a call that reaches the vessel
// service late and for clocks of service instances that disagree.
const LeaseDuration = 30 * time.Second

// Tuning of Create and Recover.
const (
	// waitInterval is how often a create that finds another create of the
	// same consignment in progress looks again.
	waitInterval = 50 * time.Millisecond
	// recoverBatch is how many pending consignments Recover reads at once.
	recoverBatch = 100
)

// Service books consignments onto vessels and keeps them.
type Service struct {
	repo   Repository
	booker Booker
	newID  func() string
	now    func() time.Time
	logger *slog.Logger
}

// NewService returns a Service that stores consignments in repo, books them
// with booker, gives each consignment without an id one from newID, and
// reads the time from now (time.Now in production).
func NewService(repo Repository, booker Booker, newID func() string, now func() time.Time, logger *slog.Logger) (*Service, error) {
	switch {
	case repo == nil:
		return nil, errors.New("new consignment service: nil repository")
	case booker == nil:
		return nil, errors.New("new consignment service: nil booker")
	case newID == nil:
		return nil, errors.New("new consignment service: nil id generator")
	case now == nil:
		return nil, errors.New("new consignment service: nil clock")
	case logger == nil:
		return nil, errors.New("new consignment service: nil logger")
	}
	return &Service{repo: repo, booker: booker, newID: newID, now: now, logger: logger}, nil
}

// Create validates c, books it onto a vessel and stores it, and returns it
// as stored: with its id (assigned when c has none), its VesselID (the
// service's; a VesselID in c is ignored), StatusBooked and its CreatedAt.
//
// Create is idempotent by id. When a consignment with c's id is stored
// already, the same request (SameRequest) returns the stored consignment,
// or finishes booking it, and takes no more room; a different one is
// ErrConflict.
//
// Errors: a *FieldError (ErrInvalid) for input that breaks a rule; ErrNoRoom;
// ErrConflict; ErrUnavailable when the vessel service or the store could not
// be asked, or another create of the same consignment holds it until ctx
// ends; anything else is internal. After any error, a retry with the same
// id is safe and books at most once.
//
// Create is crash-safe: it stores c pending under a lease, books its room,
// then marks it booked, each step retryable; Recover settles a create that
// stopped half-way. See docs/crash-safe-create.md.
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

	for {
		stored, err := s.repo.Get(ctx, c.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			now := s.now()
			c.Status, c.CreatedAt, c.Lease = StatusPending, now, s.newLease(now)
			err := s.repo.Create(ctx, c)
			if errors.Is(err, ErrConflict) {
				continue // a concurrent create stored it first: look again
			}
			if err != nil {
				return Consignment{}, fmt.Errorf("store pending consignment: %w", err)
			}
			return s.book(ctx, c, true)
		case err != nil:
			return Consignment{}, fmt.Errorf("get consignment: %w", err)
		case !stored.SameRequest(c):
			return Consignment{}, ErrConflict
		case stored.Status == StatusBooked:
			return stored, nil
		case stored.Status != StatusPending:
			return Consignment{}, fmt.Errorf("get consignment: %q has unknown status %q", c.ID, stored.Status)
		}

		// Pending: wait for the create still at it, or take over.
		now := s.now()
		if stored.Lease.Owner != "" && stored.Lease.Until.After(now) {
			if err := sleep(ctx, waitInterval); err != nil {
				return Consignment{}, fmt.Errorf("%w: another create of consignment %q is in progress: %w", ErrUnavailable, c.ID, err)
			}
			continue
		}
		lease := s.newLease(now)
		prev, err := s.repo.TransferLease(ctx, c.ID, stored.Lease.Owner, lease)
		if errors.Is(err, ErrNotFound) {
			continue // taken over or settled meanwhile: look again
		}
		if err != nil {
			return Consignment{}, fmt.Errorf("take over pending consignment: %w", err)
		}
		stored.Lease = lease
		// Before prev.Until, an earlier create's Book may still take effect.
		return s.book(ctx, stored, !prev.Until.After(now))
	}
}

// book books the room of c, a pending consignment this create holds the
// lease of, and marks it booked (steps 2 and 3 of Create). mayDelete says
// whether no earlier Book for c can still take effect, so that c may be
// deleted when the vessel service refuses the booking.
func (s *Service) book(ctx context.Context, c Consignment, mayDelete bool) (Consignment, error) {
	bookCtx, cancel := context.WithTimeout(ctx, LeaseDuration/2)
	vesselID, err := s.booker.Book(bookCtx, c.ID, int32(len(c.Containers)), c.Weight)
	cancel()
	// The vessel service has answered; the outcome is recorded even when
	// the caller has gone.
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		if refused(err) && mayDelete {
			s.deletePending(ctx, c)
		} else {
			s.handBack(ctx, c)
		}
		return Consignment{}, fmt.Errorf("book vessel: %w", err)
	}

	switch err := s.repo.MarkBooked(ctx, c.ID, c.Lease.Owner, vesselID); {
	case errors.Is(err, ErrNotFound):
		// The lease ran out and was taken over: by a retry, which has
		// booked the same room, or by Recover, which gives it back.
		if stored, err := s.repo.Get(ctx, c.ID); err == nil && stored.Status == StatusBooked && stored.SameRequest(c) {
			return stored, nil
		}
		return Consignment{}, fmt.Errorf("%w: consignment %q: lease ran out before the booking was stored", ErrUnavailable, c.ID)
	case err != nil:
		s.handBack(ctx, c)
		return Consignment{}, fmt.Errorf("store booking: %w", err)
	}
	c.Status, c.VesselID, c.Lease = StatusBooked, vesselID, Lease{}
	s.logger.InfoContext(ctx, "consignment booked",
		"consignment_id", c.ID, "vessel_id", c.VesselID,
		"containers", len(c.Containers), "weight", c.Weight)
	return c, nil
}

// refused reports whether err from Booker.Book means the vessel service
// took no room: it refused the booking. Any other error leaves the outcome
// unknown.
func refused(err error) bool {
	return errors.Is(err, ErrNoRoom) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid)
}

// deletePending deletes c, a pending consignment whose booking the vessel
// service refused. Its failure is logged, not returned: the caller reports
// the refusal, and Recover deletes c when its lease has run out.
func (s *Service) deletePending(ctx context.Context, c Consignment) {
	if err := s.repo.DeletePending(ctx, c.ID, c.Lease.Owner); err != nil {
		s.logger.WarnContext(ctx, "delete pending consignment after a refused booking; recovery deletes it later",
			"consignment_id", c.ID, "error", err)
	}
}

// handBack gives up this create's lease on c, which stays pending, so that
// a retry need not wait for the lease to run out; its Until stays, so
// Recover still waits for it. Its failure is logged: the lease then runs
// out by itself.
func (s *Service) handBack(ctx context.Context, c Consignment) {
	if _, err := s.repo.TransferLease(ctx, c.ID, c.Lease.Owner, Lease{}); err != nil && !errors.Is(err, ErrNotFound) {
		s.logger.WarnContext(ctx, "hand back the lease of a pending consignment; a retry waits for it to run out",
			"consignment_id", c.ID, "error", err)
	}
}

// Recover settles the creates that stopped half-way: every pending
// consignment whose lease's Until has passed. For each, it takes the
// lease, releases the consignment's room on the vessel service (which
// succeeds when it holds none), deletes it and logs that it did. It returns
// how many it deleted. Several instances may call it at once. It stops at
// the first error, typically ErrUnavailable when the vessel service cannot
// be reached; a later call settles the rest. See docs/crash-safe-create.md.
func (s *Service) Recover(ctx context.Context) (int, error) {
	deleted := 0
	for {
		batch, err := s.repo.ListPending(ctx, s.now(), recoverBatch)
		if err != nil {
			return deleted, fmt.Errorf("recover: list pending consignments: %w", err)
		}
		for _, c := range batch {
			ok, err := s.recoverOne(ctx, c)
			if err != nil {
				return deleted, fmt.Errorf("recover consignment %q: %w", c.ID, err)
			}
			if ok {
				deleted++
			}
		}
		// Every consignment of the batch is now leased anew (to this call
		// or another party) or settled, so the next batch holds new ones
		// only.
		if len(batch) < recoverBatch {
			return deleted, nil
		}
	}
}

// recoverOne takes over the lease of c, releases its room and deletes it.
// It reports false, with no error, when another party took c first.
func (s *Service) recoverOne(ctx context.Context, c Consignment) (bool, error) {
	now := s.now()
	lease := s.newLease(now)
	prev, err := s.repo.TransferLease(ctx, c.ID, c.Lease.Owner, lease)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("take over: %w", err)
	case prev.Until.After(now):
		// A create took c over and handed it back since it was listed; its
		// Book may still take effect. Hand the lease back and leave c to a
		// later call.
		if _, err := s.repo.TransferLease(ctx, c.ID, lease.Owner, Lease{}); err != nil {
			return false, fmt.Errorf("hand back: %w", err)
		}
		return false, nil
	}

	releaseCtx, cancel := context.WithTimeout(ctx, LeaseDuration/2)
	err = s.booker.Release(releaseCtx, c.ID)
	cancel()
	if err != nil {
		return false, fmt.Errorf("release booking: %w", err)
	}
	// Released: record it even if ctx ends now.
	ctx = context.WithoutCancel(ctx)
	if err := s.repo.DeletePending(ctx, c.ID, lease.Owner); err != nil {
		return false, fmt.Errorf("delete: %w", err)
	}
	s.logger.WarnContext(ctx, "recovered an unfinished create: booking released, pending consignment deleted",
		"consignment_id", c.ID, "created_at", c.CreatedAt)
	return true, nil
}

// newLease returns a lease for a new holder, running from now for
// LeaseDuration.
func (s *Service) newLease(now time.Time) Lease {
	return Lease{Owner: rand.Text(), Until: now.Add(LeaseDuration)}
}

// sleep waits for d, or returns ctx's error when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// List returns a page of booked consignments, oldest first; pending ones
// are never listed. The page holds up to limit consignments: DefaultPageSize
// when limit is 0, MaxPageSize when limit is larger (AIP-158). pageToken is
// empty for the first page or the nextPageToken of the last one;
// nextPageToken is empty after the last page. A negative limit or a token
// that was not issued is a *FieldError (ErrInvalid) on "limit" or
// "page_token".
func (s *Service) List(ctx context.Context, limit int, pageToken string) ([]Consignment, string, error) {
	switch {
	case limit < 0:
		return nil, "", &FieldError{Field: "limit", Reason: fmt.Sprintf("must not be negative, got %d", limit)}
	case limit == 0:
		limit = DefaultPageSize
	case limit > MaxPageSize:
		limit = MaxPageSize
	}
	items, next, err := s.repo.List(ctx, limit, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("list consignments: %w", err)
	}
	return items, next, nil
}
