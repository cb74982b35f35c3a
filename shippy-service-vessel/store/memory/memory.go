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
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		vessels:  make(map[string]vessel.Vessel),
		bookings: make(map[string]vessel.Booking),
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
	v.UsedCapacity += b.Containers
	v.UsedWeight += b.Weight
	s.vessels[v.ID] = v
	s.bookings[b.ConsignmentID] = b
	return v, nil
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
	delete(s.bookings, consignmentID)
	if v, ok := s.vessels[b.VesselID]; ok {
		v.UsedCapacity -= b.Containers
		v.UsedWeight -= b.Weight
		s.vessels[v.ID] = v
	}
	return b, nil
}
