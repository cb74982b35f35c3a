package vessel

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Service applies the fleet's rules to a Repository. It is safe for
// concurrent use: it keeps no state of its own, and the Repository makes
// every change to room atomic.
//
// Vessels are chosen by first fit in id order: of the available vessels with
// room left for both the containers and the weight, the one whose id sorts
// first (byte order). FindAvailable, Book and BookBatch choose the same
// way, so FindAvailable names the vessel Book would take, concurrent
// bookings aside.
//
// Errors matching ErrNoRoom and ErrConflict carry a message fit to show a
// client; every other error that is not a *FieldError comes from the store.
type Service struct {
	repo  Repository
	newID func() string
	now   func() time.Time
}

// maxBookPasses bounds how often Book reads the fleet again after every
// vessel it tried was taken by concurrent bookings.
const maxBookPasses = 3

// errLostRace ends a booking pass that lost to concurrent requests: every
// vessel it tried was taken, or the consignment was booked meanwhile. The
// next pass sees what they left.
var errLostRace = errors.New("lost every vessel to concurrent bookings")

// NewService returns a Service over repo. newID makes the id of a vessel
// created without one; it must return a new, valid id on every call. now
// is the clock holds are set and judged by (time.Now).
func NewService(repo Repository, newID func() string, now func() time.Time) (*Service, error) {
	if repo == nil {
		return nil, errors.New("new vessel service: nil repository")
	}
	if newID == nil {
		return nil, errors.New("new vessel service: nil id generator")
	}
	if now == nil {
		return nil, errors.New("new vessel service: nil clock")
	}
	return &Service{repo: repo, newID: newID, now: now}, nil
}

// FindAvailable returns the vessel Book would choose for spec: the first
// available vessel, in id order, whose remaining room fits spec. It books
// nothing. It returns ErrNoRoom when no vessel fits and a *FieldError when
// spec is invalid.
func (s *Service) FindAvailable(ctx context.Context, spec Specification) (Vessel, error) {
	if err := spec.Validate(); err != nil {
		return Vessel{}, err
	}
	vessels, err := s.repo.List(ctx)
	if err != nil {
		return Vessel{}, fmt.Errorf("list vessels: %w", err)
	}
	for _, v := range vessels {
		if v.Fits(spec.Capacity, spec.MaxWeight) {
			return v, nil
		}
	}
	return Vessel{}, noRoom(spec.Capacity, spec.MaxWeight)
}

// Create adds v to the fleet with no room booked, and returns it as stored.
// An empty v.ID is replaced by a new id; the used room given in v is
// ignored. Creating a vessel again with the same id and the same fields (a
// retry) returns the stored vessel, with whatever room is booked on it by
// now; the same id with different fields returns ErrConflict. An invalid v
// returns a *FieldError.
func (s *Service) Create(ctx context.Context, v Vessel) (Vessel, error) {
	if err := v.Validate(); err != nil {
		return Vessel{}, err
	}
	if v.ID == "" {
		v.ID = s.newID()
	}
	v.UsedCapacity, v.UsedWeight = 0, 0
	err := s.repo.Create(ctx, v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, ErrConflict) {
		return Vessel{}, fmt.Errorf("create vessel: %w", err)
	}
	stored, err := s.repo.Get(ctx, v.ID)
	if err != nil {
		return Vessel{}, fmt.Errorf("get vessel: %w", err)
	}
	if !stored.sameDefinition(v) {
		return Vessel{}, fmt.Errorf("vessel %q: %w", v.ID, ErrConflict)
	}
	return stored, nil
}

// Book takes room for one consignment on the first available vessel, in id
// order, with room left for both its containers and its weight, and returns
// the booking and the vessel after it. Taking the room is atomic: two
// concurrent bookings never share the last room of a vessel.
//
// Book is idempotent by consignment id: if the consignment is already
// booked with the same containers and weight, Book returns that booking and
// its vessel as they are now and takes no more room; with different
// containers or weight it returns ErrConflict. When no vessel has room it
// returns ErrNoRoom and changes nothing. An invalid req returns a
// *FieldError.
func (s *Service) Book(ctx context.Context, req BookRequest) (Booking, Vessel, error) {
	if err := req.Validate(); err != nil {
		return Booking{}, Vessel{}, err
	}
	for range maxBookPasses {
		b, v, err := s.bookOnce(ctx, req)
		if !errors.Is(err, errLostRace) {
			return b, v, err
		}
	}
	return Booking{}, Vessel{}, noRoom(req.Containers, req.Weight)
}

// bookOnce is one pass of Book over a fresh read of the fleet; it returns
// errLostRace when a concurrent request got in its way.
func (s *Service) bookOnce(ctx context.Context, req BookRequest) (Booking, Vessel, error) {
	existing, err := s.repo.FindBooking(ctx, req.ConsignmentID)
	switch {
	case err == nil:
		return s.rebook(ctx, existing, req)
	case !errors.Is(err, ErrNotFound):
		return Booking{}, Vessel{}, fmt.Errorf("find booking: %w", err)
	}

	vessels, err := s.repo.List(ctx)
	if err != nil {
		return Booking{}, Vessel{}, fmt.Errorf("list vessels: %w", err)
	}
	tried := false
	for _, v := range vessels {
		if !v.Fits(req.Containers, req.Weight) {
			continue
		}
		tried = true
		b := Booking{
			ConsignmentID: req.ConsignmentID,
			VesselID:      v.ID,
			Containers:    req.Containers,
			Weight:        req.Weight,
		}
		after, err := s.repo.TakeRoom(ctx, b)
		switch {
		case err == nil:
			return b, after, nil
		case errors.Is(err, ErrAlreadyBooked):
			return Booking{}, Vessel{}, errLostRace
		case errors.Is(err, ErrNoRoom), errors.Is(err, ErrNotFound):
			continue // taken (or gone) since List: try the next vessel
		default:
			return Booking{}, Vessel{}, fmt.Errorf("take room on vessel %q: %w", v.ID, err)
		}
	}
	if !tried {
		return Booking{}, Vessel{}, noRoom(req.Containers, req.Weight)
	}
	return Booking{}, Vessel{}, errLostRace
}

// rebook answers a Book for a consignment that already holds booking b.
func (s *Service) rebook(ctx context.Context, b Booking, req BookRequest) (Booking, Vessel, error) {
	if !b.answers(req) {
		return Booking{}, Vessel{}, conflict(b)
	}
	v, err := s.repo.Get(ctx, b.VesselID)
	if err != nil {
		return Booking{}, Vessel{}, fmt.Errorf("get booked vessel: %w", err)
	}
	return b, v, nil
}

// Release gives the room booked for the consignment back to its vessel and
// reports whether there was a booking. Releasing a consignment that holds no
// booking changes nothing and is not an error, so a retry is harmless. An
// invalid consignment id returns a *FieldError.
func (s *Service) Release(ctx context.Context, consignmentID string) (released bool, err error) {
	if err := checkText("consignment_id", consignmentID, true); err != nil {
		return false, err
	}
	_, err = s.repo.ReleaseRoom(ctx, consignmentID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("release room: %w", err)
	}
}

// BookBatch books each of reqs as Book would, but held by holder for hold
// (see Booking), and returns one outcome per request, in their order: one
// refused does not fail the others. A request for a consignment that
// already holds a booking with the same containers and weight gets that
// booking and takes no more room; if it is held and its hold has not run
// out, the hold is renewed to run out hold from now, if that is later. An
// outcome's error is a *FieldError for an invalid request, or matches
// ErrNoRoom, ErrConflict (as Book's), ErrHoldExpired (held, and its hold
// ran out: being settled), ErrHeldElsewhere (held by another holder), or
// is a store error.
//
// BookBatch returns a *FieldError, and books nothing, when holder is empty
// or invalid ("holder"), hold is under a millisecond or over MaxHold
// ("hold_millis"), or reqs has more than MaxBatch items ("items"); a store
// error when the store did no item; and ctx's error when ctx ended.
func (s *Service) BookBatch(ctx context.Context, holder string, hold time.Duration, reqs []BookRequest) ([]BookOutcome, error) {
	if err := validateBatch(holder, hold, len(reqs)); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return []BookOutcome{}, nil
	}
	// Invalid requests get their error here; the store gets the others.
	var invalid []error // by index; nil while every request is valid
	for i, req := range reqs {
		if err := req.Validate(); err != nil {
			if invalid == nil {
				invalid = make([]error, len(reqs))
			}
			invalid[i] = err
		}
	}
	valid := reqs
	if invalid != nil {
		valid = make([]BookRequest, 0, len(reqs))
		for i, req := range reqs {
			if invalid[i] == nil {
				valid = append(valid, req)
			}
		}
	}
	now := s.now()
	var booked []BookOutcome
	if len(valid) > 0 {
		var err error
		booked, err = s.repo.BookHeld(ctx, valid, Hold{Holder: holder, Until: HoldTime(now.Add(hold))}, now)
		if err == nil {
			err = ctx.Err() // the caller is gone: the outcomes may carry its end
		}
		if err != nil {
			return nil, fmt.Errorf("book held: %w", err)
		}
		if len(booked) != len(valid) {
			return nil, fmt.Errorf("book held: %d outcomes for %d requests", len(booked), len(valid))
		}
	}
	if invalid == nil {
		for i := range booked {
			settle(&booked[i], valid[i])
		}
		return booked, nil
	}
	out := make([]BookOutcome, len(reqs))
	j := 0
	for i, req := range reqs {
		if invalid[i] != nil {
			out[i].Err = invalid[i]
			continue
		}
		out[i] = booked[j]
		settle(&out[i], req)
		j++
	}
	return out, nil
}

// settle makes o, a BookHeld outcome for req, what BookBatch answers: an
// error with the message Book's would have, and no booking beside an
// error.
func settle(o *BookOutcome, req BookRequest) {
	switch {
	case o.Err == nil:
		return
	case errors.Is(o.Err, ErrNoRoom):
		o.Err = noRoom(req.Containers, req.Weight)
	case errors.Is(o.Err, ErrConflict):
		o.Err = conflict(o.Booking)
	case errors.Is(o.Err, ErrHoldExpired):
		o.Err = ErrHoldExpired
	case errors.Is(o.Err, ErrHeldElsewhere):
		o.Err = ErrHeldElsewhere
	default:
		o.Err = fmt.Errorf("book consignment %q: %w", req.ConsignmentID, o.Err)
	}
	o.Booking = Booking{}
}

// validateBatch checks the parts of a BookBatch besides its items.
func validateBatch(holder string, hold time.Duration, items int) error {
	return firstError(checkText("holder", holder, true), checkHold(hold), checkBatchLen("items", items))
}

// checkHold checks a BookBatch's hold, named by its field on the wire.
func checkHold(hold time.Duration) error {
	switch {
	case hold < time.Millisecond:
		return &FieldError{"hold_millis", fmt.Sprintf("must be positive, got %d", hold.Milliseconds())}
	case hold > MaxHold:
		return &FieldError{"hold_millis", fmt.Sprintf("must be at most %d, got %d", MaxHold.Milliseconds(), hold.Milliseconds())}
	}
	return nil
}

// Confirm ends the hold of the held bookings of consignmentIDs, run out or
// not, and returns how many it ended; ids that hold no booking, or a
// confirmed one, are skipped, so a retry is harmless. It returns a
// *FieldError, and confirms nothing, when there are more than MaxBatch
// ids ("consignment_ids") or one is invalid ("consignment_ids[2]").
func (s *Service) Confirm(ctx context.Context, consignmentIDs []string) (int, error) {
	if err := checkBatchLen("consignment_ids", len(consignmentIDs)); err != nil {
		return 0, err
	}
	for i, id := range consignmentIDs {
		if fe, ok := errors.AsType[*FieldError](checkText("consignment_ids", id, true)); ok {
			return 0, &FieldError{fmt.Sprintf("consignment_ids[%d]", i), fe.Reason}
		}
	}
	if len(consignmentIDs) == 0 {
		return 0, nil
	}
	n, err := s.repo.Confirm(ctx, consignmentIDs)
	if err != nil {
		return 0, fmt.Errorf("confirm bookings: %w", err)
	}
	return n, nil
}

// ListExpiredHolds returns at most limit bookings held by holder whose
// hold has run out by the service's clock, in no particular order. It
// returns a *FieldError for an empty or invalid holder ("holder") or a
// limit outside 1 to MaxBatch ("limit").
func (s *Service) ListExpiredHolds(ctx context.Context, holder string, limit int) ([]Booking, error) {
	if err := checkText("holder", holder, true); err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxBatch {
		return nil, &FieldError{"limit", fmt.Sprintf("must be between 1 and %d, got %d", MaxBatch, limit)}
	}
	holds, err := s.repo.ListExpiredHolds(ctx, holder, s.now(), limit)
	if err != nil {
		return nil, fmt.Errorf("list expired holds: %w", err)
	}
	return holds, nil
}

// ReleaseExpiredHold gives the room of the consignment's held booking back
// to its vessel if its hold has run out by the service's clock, and
// reports whether it did: false, with nothing changed, when the
// consignment holds no booking, a confirmed one, or one still held. The
// decision is atomic with respect to a BookBatch that would renew the
// hold. An invalid consignment id returns a *FieldError.
func (s *Service) ReleaseExpiredHold(ctx context.Context, consignmentID string) (bool, error) {
	if err := checkText("consignment_id", consignmentID, true); err != nil {
		return false, err
	}
	released, err := s.repo.ReleaseExpiredHold(ctx, consignmentID, s.now())
	if err != nil {
		return false, fmt.Errorf("release expired hold: %w", err)
	}
	return released, nil
}

// List returns the whole fleet in id order, with the room booked on each
// vessel.
func (s *Service) List(ctx context.Context) ([]Vessel, error) {
	vessels, err := s.repo.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list vessels: %w", err)
	}
	return vessels, nil
}

// Seed adds the vessels of fleet that are not stored yet, with no room
// booked. A vessel whose id is stored already is left as it is, booked room
// included, even if fleet describes it differently: seeding at every start
// never undoes bookings. fleet must pass ValidateFleet; if it does not,
// Seed returns the *FieldError and adds nothing.
func (s *Service) Seed(ctx context.Context, fleet []Vessel) error {
	if err := ValidateFleet(fleet); err != nil {
		return err
	}
	for _, v := range fleet {
		v.UsedCapacity, v.UsedWeight = 0, 0
		err := s.repo.Create(ctx, v)
		if err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("seed vessel %q: %w", v.ID, err)
		}
	}
	return nil
}

// ValidateFleet returns a *FieldError for the first rule fleet breaks, or
// nil. Every vessel must be valid and have an id unique in the fleet, so
// that seeding the fleet again adds nothing. Fields are named by index:
// "[2].max_weight". An empty fleet is valid.
func ValidateFleet(fleet []Vessel) error {
	first := make(map[string]int, len(fleet))
	for i, v := range fleet {
		if fe := checkFleetVessel(v, first); fe != nil {
			return &FieldError{Field: fmt.Sprintf("[%d].%s", i, fe.Field), Reason: fe.Reason}
		}
		first[v.ID] = i
	}
	return nil
}

// checkFleetVessel checks one vessel of a fleet; first holds the index of
// each id seen before it.
func checkFleetVessel(v Vessel, first map[string]int) *FieldError {
	var fe *FieldError
	switch {
	case errors.As(v.Validate(), &fe):
		return fe
	case v.ID == "":
		return &FieldError{"id", "required"}
	}
	if j, dup := first[v.ID]; dup {
		return &FieldError{"id", fmt.Sprintf("%q is also the id of [%d]", v.ID, j)}
	}
	return nil
}

// noRoom is the ErrNoRoom error for a request of n containers and weight
// kilograms.
func noRoom(n, weight int32) error {
	return fmt.Errorf("%w for %s and %d kg", ErrNoRoom, containers(n), weight)
}

// conflict is the ErrConflict error for a request that differs from the
// consignment's booking b.
func conflict(b Booking) error {
	return fmt.Errorf("consignment %q is booked with %s and %d kg: %w",
		b.ConsignmentID, containers(b.Containers), b.Weight, ErrConflict)
}

// containers counts containers in English: "1 container", "3 containers".
func containers(n int32) string {
	if n == 1 {
		return "1 container"
	}
	return fmt.Sprintf("%d containers", n)
}
