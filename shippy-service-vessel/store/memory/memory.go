// Package memory is a vessel.Repository that keeps the fleet and its
// bookings in process memory. Everything is lost when the process exits.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

var _ vessel.Repository = (*Store)(nil)

// Store is an in-memory vessel.Repository, safe for concurrent use. Vessel
// and Booking hold no references, so storing and returning them by value
// copies them: callers never share memory with the store. The zero Store is
// not usable; call New.
type Store struct {
	mu       sync.Mutex
	vessels  map[string]vessel.Vessel  // by vessel id
	bookings map[string]vessel.Booking // by consignment id
	held     map[string]struct{}       // the consignment ids of held bookings
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		vessels:  make(map[string]vessel.Vessel),
		bookings: make(map[string]vessel.Booking),
		held:     make(map[string]struct{}),
	}
}

// Create implements vessel.Repository.
func (s *Store) Create(_ context.Context, v vessel.Vessel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vessels[v.ID]; ok {
		return fmt.Errorf("vessel %q: %w", v.ID, vessel.ErrConflict)
	}
	s.vessels[v.ID] = v
	return nil
}

// Get implements vessel.Repository.
func (s *Store) Get(_ context.Context, id string) (vessel.Vessel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vessels[id]
	if !ok {
		return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", id, vessel.ErrNotFound)
	}
	return v, nil
}

// List implements vessel.Repository.
func (s *Store) List(context.Context) ([]vessel.Vessel, error) {
	s.mu.Lock()
	vessels := slices.AppendSeq(make([]vessel.Vessel, 0, len(s.vessels)), maps.Values(s.vessels))
	s.mu.Unlock()
	slices.SortFunc(vessels, func(a, b vessel.Vessel) int { return cmp.Compare(a.ID, b.ID) })
	return vessels, nil
}

// TakeRoom implements vessel.Repository.
func (s *Store) TakeRoom(_ context.Context, b vessel.Booking) (vessel.Vessel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bookings[b.ConsignmentID]; ok {
		return vessel.Vessel{}, fmt.Errorf("consignment %q: %w", b.ConsignmentID, vessel.ErrAlreadyBooked)
	}
	v, ok := s.vessels[b.VesselID]
	if !ok {
		return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", b.VesselID, vessel.ErrNotFound)
	}
	if !v.Fits(b.Containers, b.Weight) {
		return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", b.VesselID, vessel.ErrNoRoom)
	}
	s.take(v, b)
	return s.vessels[v.ID], nil
}

// take adds b, which fits v, to the bookings and its room to v. The
// caller holds s.mu.
func (s *Store) take(v vessel.Vessel, b vessel.Booking) {
	v.UsedCapacity += b.Containers
	v.UsedWeight += b.Weight
	s.vessels[v.ID] = v
	s.bookings[b.ConsignmentID] = b
	if b.Held() {
		s.held[b.ConsignmentID] = struct{}{}
	}
}

// BookHeld implements vessel.Repository.
func (s *Store) BookHeld(_ context.Context, reqs []vessel.BookRequest, hold vessel.Hold, now time.Time) ([]vessel.BookOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fleet := s.sortedFleet()
	out := make([]vessel.BookOutcome, len(reqs))
	for i, req := range reqs {
		out[i] = s.bookHeld(fleet, req, hold, now)
	}
	return out, nil
}

// bookHeld is one request of BookHeld; fleet holds the vessel ids in id
// order. The caller holds s.mu.
func (s *Store) bookHeld(fleet []string, req vessel.BookRequest, hold vessel.Hold, now time.Time) vessel.BookOutcome {
	if b, ok := s.bookings[req.ConsignmentID]; ok {
		switch {
		case b.Containers != req.Containers || b.Weight != req.Weight:
			return vessel.BookOutcome{Booking: b, Err: vessel.ErrConflict}
		case !b.Held():
			return vessel.BookOutcome{Booking: b}
		case b.HoldExpired(now):
			return vessel.BookOutcome{Err: vessel.ErrHoldExpired}
		case b.Holder != hold.Holder:
			return vessel.BookOutcome{Err: vessel.ErrHeldElsewhere}
		}
		if hold.Until.After(b.HeldUntil) {
			b.HeldUntil = hold.Until
			s.bookings[b.ConsignmentID] = b
		}
		return vessel.BookOutcome{Booking: b}
	}
	for _, id := range fleet {
		v := s.vessels[id]
		if !v.Fits(req.Containers, req.Weight) {
			continue
		}
		b := vessel.Booking{
			ConsignmentID: req.ConsignmentID, VesselID: v.ID, Containers: req.Containers, Weight: req.Weight,
			Holder: hold.Holder, HeldUntil: hold.Until,
		}
		s.take(v, b)
		return vessel.BookOutcome{Booking: b}
	}
	return vessel.BookOutcome{Err: vessel.ErrNoRoom}
}

// sortedFleet returns the vessel ids in id order. The caller holds s.mu.
func (s *Store) sortedFleet() []string {
	return slices.Sorted(maps.Keys(s.vessels))
}

// Confirm implements vessel.Repository.
func (s *Store) Confirm(_ context.Context, consignmentIDs []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range consignmentIDs {
		if _, ok := s.held[id]; !ok {
			continue
		}
		b := s.bookings[id]
		b.Holder, b.HeldUntil = "", time.Time{}
		s.bookings[id] = b
		delete(s.held, id)
		n++
	}
	return n, nil
}

// ListExpiredHolds implements vessel.Repository.
func (s *Store) ListExpiredHolds(_ context.Context, holder string, now time.Time, limit int) ([]vessel.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []vessel.Booking
	for id := range s.held {
		if len(out) == limit {
			break
		}
		if b := s.bookings[id]; b.Holder == holder && b.HoldExpired(now) {
			out = append(out, b)
		}
	}
	return out, nil
}

// ReleaseExpiredHold implements vessel.Repository.
func (s *Store) ReleaseExpiredHold(_ context.Context, consignmentID string, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.bookings[consignmentID]; !ok || !b.HoldExpired(now) {
		return false, nil
	}
	s.release(consignmentID)
	return true, nil
}

// FindBooking implements vessel.Repository.
func (s *Store) FindBooking(_ context.Context, consignmentID string) (vessel.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.booking(consignmentID)
}

// booking returns the booking of the consignment, or an error that
// matches vessel.ErrNotFound. The caller holds s.mu.
func (s *Store) booking(consignmentID string) (vessel.Booking, error) {
	b, ok := s.bookings[consignmentID]
	if !ok {
		return vessel.Booking{}, fmt.Errorf("booking of consignment %q: %w", consignmentID, vessel.ErrNotFound)
	}
	return b, nil
}

// ReleaseRoom implements vessel.Repository.
func (s *Store) ReleaseRoom(_ context.Context, consignmentID string) (vessel.Booking, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.booking(consignmentID)
	if err != nil {
		return vessel.Booking{}, err
	}
	s.release(consignmentID)
	return b, nil
}

// release deletes the booking of the consignment, which holds one, and
// gives its room back. The caller holds s.mu.
func (s *Store) release(consignmentID string) {
	b := s.bookings[consignmentID]
	delete(s.bookings, consignmentID)
	delete(s.held, consignmentID)
	if v, ok := s.vessels[b.VesselID]; ok {
		v.UsedCapacity -= b.Containers
		v.UsedWeight -= b.Weight
		s.vessels[v.ID] = v
	}
}
