package consignment

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/shippy-suite/shippy/platform/batch"
	"github.com/shippy-suite/shippy/platform/outbox"
)

// Repository stores consignments. Implementations are safe for concurrent
// use and keep copies: changing a consignment after Create, or one
// returned by Get, List or ListPending, does not change what is stored.
// Each method is one atomic step (in bbolt one transaction, in MongoDB one
// single-document write). Times are kept to the millisecond at least.
//
// The events Create is given go into the store's outbox (outbox.Store),
// from which a relay publishes them: see docs/outbox.md.
//
// Pending consignments are the records of creates of an earlier release
// (see docs/crash-safe-create.md): this release stores booked ones only,
// cancels booked ones, and settles pending ones with ListPending and
// DeletePending. Booked and cancelled consignments are never deleted.
type Repository interface {
	// Create stores c under c.ID, as given (Status, CreatedAt and Lease
	// included), and events, the events that announce it, in the outbox,
	// in the same atomic step: both or neither. It returns ErrConflict when
	// a consignment with that id is stored already, whatever its status
	// and contents, and stores no event then; of concurrent creates with
	// one id exactly one succeeds. It does not store c once ctx has ended
	// (in particular after its deadline), and then returns an error that
	// matches ctx's (or ErrUnavailable). An event without an id or a
	// subject (outbox.Message.Validate) fails it.
	Create(ctx context.Context, c Consignment, events ...outbox.Message) error
	// Get returns the consignment with the id, whatever its status, or
	// ErrNotFound.
	Get(ctx context.Context, id string) (Consignment, error)
	// List returns up to limit booked consignments, oldest first in the
	// order they were created (pending and cancelled ones are skipped, so
	// a page may hold fewer): every one when owner is "", else only those
	// whose Owner is owner. limit is never negative: Service.List passes 1
	// to MaxPageSize; 0, all of them, is for tests. pageToken is empty for
	// the first page, or the nextPageToken of the previous page of the
	// same owner's listing; nextPageToken is empty when no booked
	// consignment follows the page. Tokens are opaque and stay valid while
	// consignments are added, cancelled, and pending ones deleted; one the
	// repository did not issue for owner's listing (another owner's, or
	// the listing of every consignment's when owner is not "", and the
	// reverse) gives ErrBadPageToken().
	List(ctx context.Context, owner string, limit int, pageToken string) (items []Consignment, nextPageToken string, err error)
	// Cancel marks the booked consignment with the id StatusCancelled,
	// when owner is "" (an operator) or its Owner, and returns it as
	// stored after the change. One already cancelled is returned as it
	// is, unchanged. It returns ErrNotFound when no booked or cancelled
	// consignment with the id is visible to owner (a pending one, or
	// another owner's).
	Cancel(ctx context.Context, id, owner string) (Consignment, error)
	// Holder returns the id of this store's holds on vessel bookings: a
	// random id made once, then kept with the consignments, so that
	// consignment services with separate stores never settle each other's
	// holds. Errors: ErrUnavailable when the store cannot be reached.
	Holder(ctx context.Context) (string, error)

	// ClaimPending gives the pending consignment with the id the lease
	// next, if it is still leased to owner (the Owner its ListPending
	// showed, "" included): of concurrent claims of one listing, at most
	// one succeeds. It returns ErrNotFound when no pending consignment
	// with the id is leased to owner.
	ClaimPending(ctx context.Context, id, owner string, next Lease) error
	// DeletePending deletes the pending consignment with the id; the id is
	// free again. It returns ErrNotFound when no pending consignment has
	// the id. Booked consignments are never deleted.
	DeletePending(ctx context.Context, id string) error
	// ListPending returns up to limit (> 0) pending consignments whose
	// lease's Until is at or before t, in no particular order.
	ListPending(ctx context.Context, t time.Time, limit int) ([]Consignment, error)
}

// Booker books room on vessels for consignments. Every call is idempotent
// by consignment id, so it may be retried. Errors: ErrUnavailable (wrapped
// with the cause) when the vessel service could not be asked or could not
// answer; anything not named is internal.
type Booker interface {
	// Book takes room for containers and weight (kilograms) on a vessel,
	// held by this service's store (Repository.Holder) for LeaseDuration
	// by the vessel service's clock, and returns the vessel's id. A retry
	// with the same id and sizes returns the same vessel, takes no more
	// room, and renews a hold that has not run out. Errors: ErrNoRoom when
	// no vessel has room; ErrConflict when the id is booked with other
	// sizes; ErrUnavailable, also when the id's hold has run out and waits
	// for Recover.
	Book(ctx context.Context, consignmentID string, containers, weight int32) (vesselID string, err error)
	// Confirm ends the holds of the bookings of ids, run out or not; ids
	// with no held booking are skipped. It does not keep ids after it
	// returns.
	Confirm(ctx context.Context, ids []string) error
	// ExpiredHolds returns the ids of up to limit (1 to 1000) bookings
	// this store holds whose hold has run out.
	ExpiredHolds(ctx context.Context, limit int) ([]string, error)
	// ReleaseExpiredHold gives the room of the consignment's booking back
	// if it is held and its hold has run out, atomically with respect to a
	// Book that renews it; released is false, and nothing changes,
	// otherwise.
	ReleaseExpiredHold(ctx context.Context, consignmentID string) (released bool, err error)
	// Release gives the consignment's room back, held or not. Releasing a
	// consignment that holds no booking (one released already) succeeds.
	// Cancel calls it for a cancelled consignment, and Recover for a
	// pending consignment of an earlier release.
	Release(ctx context.Context, consignmentID string) error
}

// Announcer makes the events that announce what the service did, for the
// repository to store with the fact (Repository.Create).
type Announcer interface {
	// Booked returns the event that announces c, just booked, under a new
	// event id.
	Booked(c Consignment) (outbox.Message, error)
}

// LeaseDuration is how long the vessel service holds a create's booking
// before Recover may release it (Booker.Book). A create stores its
// consignment within half of it from when it asked for the booking, or not
// at all; the other half is the margin for a commit that ends late and
// for clocks that disagree. It was also the lease of a pending
// consignment of the earlier release.
const LeaseDuration = 30 * time.Second

// Tuning of Create, Cancel and Recover.
const (
	// storeWithin is how long after it asked for a booking a create may
	// still store its consignment.
	storeWithin = LeaseDuration / 2
	// releaseWithin bounds the release of a cancelled consignment's room,
	// which Cancel waits for even after its caller has gone.
	releaseWithin = LeaseDuration / 2
	// maxConfirms is the most bookings one Booker.Confirm names.
	maxConfirms = 1000
	// recoverBatch is how many expired holds, or pending consignments,
	// Recover reads at once.
	recoverBatch = 100
	// maxRecoverBatches bounds the batches of one Recover call, in case
	// the same ones keep coming back; the next call goes on.
	maxRecoverBatches = 100
)

// Service books consignments onto vessels, keeps them, and cancels them.
type Service struct {
	repo     Repository
	booker   Booker
	announce Announcer
	newID    func() string
	now      func() time.Time
	logger   *slog.Logger
	confirms *batch.Queue[string, struct{}] // ids whose holds to confirm
}

// NewService returns a Service that stores consignments in repo, books them
// with booker, stores the event of each booking (announce.Booked) with it,
// gives each consignment without an id one from newID, and reads the time
// from now (time.Now in production). Call Close once it takes no more
// creates.
func NewService(repo Repository, booker Booker, announce Announcer, newID func() string, now func() time.Time, logger *slog.Logger) (*Service, error) {
	switch {
	case repo == nil:
		return nil, errors.New("new consignment service: nil repository")
	case booker == nil:
		return nil, errors.New("new consignment service: nil booker")
	case announce == nil:
		return nil, errors.New("new consignment service: nil announcer")
	case newID == nil:
		return nil, errors.New("new consignment service: nil id generator")
	case now == nil:
		return nil, errors.New("new consignment service: nil clock")
	case logger == nil:
		return nil, errors.New("new consignment service: nil logger")
	}
	s := &Service{repo: repo, booker: booker, announce: announce, newID: newID, now: now, logger: logger}
	confirms, err := batch.New(maxConfirms, s.sendConfirms)
	if err != nil {
		return nil, fmt.Errorf("new consignment service: %w", err)
	}
	s.confirms = confirms
	return s, nil
}

// Close sends the confirmations of the holds of stored consignments that
// are still queued, giving up when ctx ends: Recover confirms those later.
// Call it at shutdown, once no create runs; Create does not queue
// confirmations after it.
func (s *Service) Close(ctx context.Context) error {
	if err := s.confirms.Close(ctx); err != nil {
		return fmt.Errorf("send the last confirmations: %w", err)
	}
	return nil
}

// Create validates c, books it onto a vessel and stores it with the event
// that announces it (Announcer.Booked), and returns it as stored: with its id (assigned when c has none), its VesselID (the
// service's; a VesselID in c is ignored), StatusBooked and its CreatedAt.
//
// Create is idempotent by id. When a consignment with c's id is stored
// already, the same request (SameRequest) returns the stored consignment
// and takes no more room; a different one is ErrConflict, and so is the
// same request once the consignment is cancelled: a cancelled id is never
// booked again.
//
// Errors: a *FieldError (ErrInvalid) for input that breaks a rule; ErrNoRoom;
// ErrConflict; ErrUnavailable when the vessel service or the store could not
// be asked, when the booking came too late to be stored, or while the
// create of c's id by an earlier release waits for Recover; anything else
// is internal. After any error, a retry with the same id is safe and books
// at most once.
//
// Create is crash-safe: the vessel service holds the booking until it is
// confirmed, Create stores the consignment only within half of the hold,
// and Recover releases the holds of consignments that were not stored. See
// docs/crash-safe-create.md.
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

	stored, err := s.repo.Get(ctx, c.ID)
	switch {
	case err == nil:
		return s.stored(stored, c)
	case !errors.Is(err, ErrNotFound):
		return Consignment{}, fmt.Errorf("get consignment: %w", err)
	}

	// 1. Hold: the vessel service holds the room for LeaseDuration.
	bookStart := s.now()
	vesselID, err := s.booker.Book(ctx, c.ID, int32(len(c.Containers)), c.Weight)
	if err != nil {
		return Consignment{}, fmt.Errorf("book vessel: %w", err)
	}

	// 2. Store it booked, before storeWithin has passed, even when the
	// caller has gone: a retry then finds it.
	now := s.now()
	left := bookStart.Add(storeWithin).Sub(now)
	if left <= 0 {
		return Consignment{}, fmt.Errorf("%w: consignment %q: the booking came %v after it was asked for, too late to store; recovery releases it",
			ErrUnavailable, c.ID, now.Sub(bookStart))
	}
	c.Containers = slices.Clone(c.Containers) // the caller keeps its slice
	c.Status, c.VesselID, c.CreatedAt, c.Lease = StatusBooked, vesselID, now, Lease{}
	booked, err := s.announce.Booked(c)
	if err != nil {
		return Consignment{}, fmt.Errorf("announce consignment %q: %w", c.ID, err)
	}
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), left)
	err = s.repo.Create(storeCtx, c, booked)
	late := storeCtx.Err() != nil
	cancel()
	switch {
	case errors.Is(err, ErrConflict):
		// A concurrent create of the id stored it first.
		stored, err := s.repo.Get(context.WithoutCancel(ctx), c.ID)
		if err != nil {
			return Consignment{}, fmt.Errorf("get consignment: %w", err)
		}
		return s.stored(stored, c)
	case err != nil && late:
		return Consignment{}, fmt.Errorf("%w: consignment %q: not stored within %v of its booking; recovery releases it: %w",
			ErrUnavailable, c.ID, storeWithin, err)
	case err != nil:
		return Consignment{}, fmt.Errorf("store consignment: %w", err)
	}

	// 3. Confirm, off the critical path: if it is lost, Recover confirms.
	s.confirms.Add(c.ID)
	s.logger.InfoContext(ctx, "consignment booked",
		"consignment_id", c.ID, "vessel_id", c.VesselID,
		"containers", len(c.Containers), "weight", c.Weight)
	return c, nil
}

// stored is Create's answer for c when the consignment with its id is
// stored already.
func (s *Service) stored(stored, c Consignment) (Consignment, error) {
	switch {
	case !stored.SameRequest(c):
		return Consignment{}, ErrConflict
	case stored.Status == StatusBooked:
		return stored, nil
	case stored.Status == StatusCancelled:
		return Consignment{}, fmt.Errorf("%w: consignment %q was cancelled", ErrConflict, c.ID)
	case stored.Status == StatusPending:
		return Consignment{}, fmt.Errorf("%w: consignment %q: an unfinished create of an earlier release waits for recovery",
			ErrUnavailable, c.ID)
	}
	return Consignment{}, fmt.Errorf("get consignment: %q has unknown status %q", c.ID, stored.Status)
}

// sendConfirms is the send of the confirmation queue: it confirms the
// holds of ids. A failure is logged; Recover confirms them later.
func (s *Service) sendConfirms(ctx context.Context, ids []string) ([]struct{}, error) {
	if err := s.booker.Confirm(ctx, ids); err != nil {
		s.logger.WarnContext(ctx, "confirm bookings failed; recovery confirms them later",
			"bookings", len(ids), "error", err)
		return nil, err
	}
	return nil, nil
}

// Recovery is what one Recover call settled.
type Recovery struct {
	// Confirmed counts the holds of stored consignments it confirmed.
	Confirmed int
	// Released counts the holds it released: of consignments not stored.
	Released int
	// Deleted counts the pending consignments of an earlier release it
	// released and deleted.
	Deleted int
}

// Recover settles the creates that stopped half-way. For each booking
// whose hold has run out, it confirms the hold when the consignment is
// stored booked, and releases it otherwise, when it is not stored or is
// cancelled (only if it is still held and run out: a retry of the create
// may have renewed it). Then, for each pending consignment of an earlier
// release whose lease has run out, it releases the room (which succeeds
// when none is held) and deletes it. It logs what it settled, and returns
// it. Several instances may call it at once. It stops at the first error,
// typically ErrUnavailable when the vessel service cannot be reached; a
// later call settles the rest. See docs/crash-safe-create.md.
func (s *Service) Recover(ctx context.Context) (Recovery, error) {
	var r Recovery
	err := s.settleHolds(ctx, &r)
	if err == nil {
		err = s.settlePending(ctx, &r)
	}
	if r != (Recovery{}) {
		s.logger.InfoContext(ctx, "recovery settled unfinished creates",
			"confirmed", r.Confirmed, "released", r.Released, "deleted_pending", r.Deleted)
	}
	if err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	return r, nil
}

// settleHolds confirms or releases the bookings whose hold has run out,
// counting them in r.
func (s *Service) settleHolds(ctx context.Context, r *Recovery) error {
	for range maxRecoverBatches {
		ids, err := s.booker.ExpiredHolds(ctx, recoverBatch)
		if err != nil {
			return fmt.Errorf("list expired holds: %w", err)
		}
		var stored []string
		for _, id := range ids {
			c, err := s.repo.Get(ctx, id)
			switch {
			case err == nil && c.Status == StatusBooked:
				stored = append(stored, id)
				continue
			case err != nil && !errors.Is(err, ErrNotFound):
				return fmt.Errorf("get consignment %q: %w", id, err)
			}
			// Not stored, and no create stores it any more: its hold ran
			// out, so a retry renews nothing and gets ErrUnavailable. Or
			// cancelled: its room is not the consignment's any more.
			released, err := s.booker.ReleaseExpiredHold(ctx, id)
			if err != nil {
				return fmt.Errorf("release expired hold of %q: %w", id, err)
			}
			if released {
				r.Released++
				s.logger.WarnContext(ctx, "recovered an unfinished create: room held for a consignment that was not stored released",
					"consignment_id", id)
			}
		}
		if len(stored) > 0 {
			if err := s.booker.Confirm(ctx, stored); err != nil {
				return fmt.Errorf("confirm %d bookings: %w", len(stored), err)
			}
			r.Confirmed += len(stored)
		}
		if len(ids) < recoverBatch {
			return nil
		}
	}
	return nil
}

// settlePending settles the pending consignments of an earlier release
// whose lease has run out, counting them in r: it claims each under a new
// lease, releases its room and deletes it. Every Book of such a create
// ended before its lease did, and no create of this release books a
// pending consignment, so the release takes no room a stored consignment
// holds. The claim keeps instances that listed the same consignment from
// releasing it again once it is deleted and its id booked anew. A claim
// whose release failed is handed back for the next round; one whose holder
// stopped is taken by a later round, after its lease.
func (s *Service) settlePending(ctx context.Context, r *Recovery) error {
	for range maxRecoverBatches {
		now := s.now()
		batch, err := s.repo.ListPending(ctx, now, recoverBatch)
		if err != nil {
			return fmt.Errorf("list pending consignments: %w", err)
		}
		for _, c := range batch {
			lease := Lease{Owner: rand.Text(), Until: now.Add(LeaseDuration)}
			switch err := s.repo.ClaimPending(ctx, c.ID, c.Lease.Owner, lease); {
			case errors.Is(err, ErrNotFound):
				continue // another instance claimed it since it was listed
			case err != nil:
				return fmt.Errorf("claim pending consignment %q: %w", c.ID, err)
			}
			releaseCtx, cancel := context.WithTimeout(ctx, LeaseDuration/2)
			err := s.booker.Release(releaseCtx, c.ID)
			cancel()
			if err != nil {
				// Hand the claim back, so that the next round need not wait
				// for its lease: the consignment stays pending, so no create
				// books its id meanwhile.
				if herr := s.repo.ClaimPending(context.WithoutCancel(ctx), c.ID, lease.Owner, Lease{Until: now}); herr != nil {
					s.logger.WarnContext(ctx, "hand back the claim of a pending consignment; a later round waits for its lease",
						"consignment_id", c.ID, "error", herr)
				}
				return fmt.Errorf("release pending consignment %q: %w", c.ID, err)
			}
			// Released: a failed delete leaves it pending, and a later
			// round, after the lease, releases it again, harmlessly.
			if err := s.repo.DeletePending(ctx, c.ID); err != nil {
				return fmt.Errorf("delete pending consignment %q: %w", c.ID, err)
			}
			r.Deleted++
			s.logger.WarnContext(ctx, "recovered an unfinished create of an earlier release: booking released, pending consignment deleted",
				"consignment_id", c.ID, "created_at", c.CreatedAt)
		}
		if len(batch) < recoverBatch {
			return nil
		}
	}
	return nil
}

// List returns a page of booked consignments, oldest first: every user's
// when owner is "" (operators), else only owner's. Pending and cancelled
// ones are never listed. The page holds up to limit consignments:
// DefaultPageSize when limit is 0, MaxPageSize when limit is larger
// (AIP-158). pageToken is empty for the first page or the nextPageToken of
// the last one; nextPageToken is empty after the last page. A negative
// limit, or a token that was not issued for owner's listing, is a
// *FieldError (ErrInvalid) on "limit" or "page_token".
func (s *Service) List(ctx context.Context, owner string, limit int, pageToken string) ([]Consignment, string, error) {
	switch {
	case limit < 0:
		return nil, "", &FieldError{Field: "limit", Reason: fmt.Sprintf("must not be negative, got %d", limit)}
	case limit == 0:
		limit = DefaultPageSize
	case limit > MaxPageSize:
		limit = MaxPageSize
	}
	items, next, err := s.repo.List(ctx, owner, limit, pageToken)
	if err != nil {
		return nil, "", fmt.Errorf("list consignments: %w", err)
	}
	return items, next, nil
}

// Cancel cancels the booked consignment with the id, of owner, or of
// anyone when owner is "" (an operator), and gives its room back: it marks
// it StatusCancelled, then releases its booking. It returns the consignment
// as stored, cancelled. Cancelling a cancelled consignment returns it and
// releases its room again, harmlessly, so a repeat finishes a cancel whose
// release failed.
//
// Errors: a *FieldError (ErrInvalid) on "id" when id is empty; ErrNotFound
// when no booked or cancelled consignment with the id is owner's (or
// exists, for ""); ErrUnavailable when the store could not be asked, or
// when the consignment is cancelled but its room not released yet, and
// the cancel should be repeated; anything else is internal. See
// docs/crash-safe-create.md.
func (s *Service) Cancel(ctx context.Context, id, owner string) (Consignment, error) {
	if id == "" {
		return Consignment{}, &FieldError{Field: "id", Reason: "required"}
	}
	c, err := s.repo.Cancel(ctx, id, owner)
	if err != nil {
		return Consignment{}, fmt.Errorf("cancel consignment: %w", err)
	}
	// Marked cancelled, so never listed again: give the room back even
	// when the caller has gone.
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseWithin)
	err = s.booker.Release(releaseCtx, id)
	cancel()
	if err != nil {
		return Consignment{}, fmt.Errorf("%w: consignment %q is cancelled, but its room is not released yet; repeat the cancel: %w",
			ErrUnavailable, id, err)
	}
	s.logger.InfoContext(ctx, "consignment cancelled", "consignment_id", c.ID, "vessel_id", c.VesselID)
	return c, nil
}
