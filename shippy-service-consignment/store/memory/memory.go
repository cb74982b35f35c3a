// Package memory is a consignment.Repository that keeps consignments in
// process memory. Everything is lost when the process exits.
package memory

import (
	"context"
	"crypto/rand"
	"sort"
	"sync"
	"time"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Store is an in-memory consignment.Repository, safe for concurrent use. It
// stores and returns copies, so callers never share memory with it. The zero
// Store is not usable; call New.
type Store struct {
	// Queue is the outbox: the pending events, in the order they were
	// stored; its methods serve the relay (outbox.Store).
	outbox.Queue

	mu sync.RWMutex
	// slots holds every consignment ever created, in creation order; a
	// deleted one leaves an empty slot, so positions never move.
	slots  []*consignment.Consignment
	index  map[string]int   // id -> position in slots, for stored consignments
	owners map[string][]int // owner -> positions in slots of its consignments, ascending
	holder string           // Holder's id
}

var (
	_ consignment.Repository = (*Store)(nil)
	_ outbox.Store           = (*Store)(nil)
)

// New returns an empty Store with a holder id of its own.
func New() *Store {
	return &Store{index: make(map[string]int), owners: make(map[string][]int), holder: rand.Text()}
}

// Create stores a copy of c, and of events in the outbox, or returns
// consignment.ErrConflict when c.ID is taken, or ctx's error when ctx has
// ended, and then stores nothing.
func (s *Store) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range events {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.index[c.ID]; ok {
		return consignment.ErrConflict
	}
	c = clone(c)
	s.index[c.ID] = len(s.slots)
	if c.Owner != "" {
		s.owners[c.Owner] = append(s.owners[c.Owner], len(s.slots))
	}
	s.slots = append(s.slots, &c)
	s.Add(events...)
	return nil
}

// Get returns a copy of the consignment with the id, or
// consignment.ErrNotFound.
func (s *Store) Get(_ context.Context, id string) (consignment.Consignment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.index[id]
	if !ok {
		return consignment.Consignment{}, consignment.ErrNotFound
	}
	return clone(*s.slots[i]), nil
}

// List returns copies of up to limit booked consignments in creation order
// (0 means all), of every owner when owner is "", else of owner only. A
// page token encodes the position where the next page starts; positions
// stay valid because slots are never removed. An owner's listing reads its
// positions only, and its tokens, of their own prefix, point at one of its
// consignments that was booked when the token was issued (and may have
// been cancelled since: never deleted, so still its own).
func (s *Store) List(_ context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if owner != "" {
		return s.listOwner(owner, limit, pageToken)
	}
	start, err := decodeToken(tokenPrefix, pageToken, len(s.slots))
	if err != nil {
		return nil, "", err
	}
	var page []consignment.Consignment
	for i := start; i < len(s.slots); i++ {
		if !booked(s.slots[i]) {
			continue
		}
		if limit > 0 && len(page) == limit {
			return page, encodeToken(tokenPrefix, i), nil
		}
		page = append(page, clone(*s.slots[i]))
	}
	return page, "", nil
}

// listOwner is List of owner's consignments. The caller holds s.mu.
func (s *Store) listOwner(owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	start, err := decodeToken(ownerTokenPrefix, pageToken, len(s.slots))
	if err != nil {
		return nil, "", err
	}
	if start > 0 && (!kept(s.slots[start]) || s.slots[start].Owner != owner) {
		return nil, "", consignment.ErrBadPageToken()
	}
	positions := s.owners[owner]
	var page []consignment.Consignment
	for _, i := range positions[sort.SearchInts(positions, start):] {
		if !booked(s.slots[i]) {
			continue
		}
		if limit > 0 && len(page) == limit {
			return page, encodeToken(ownerTokenPrefix, i), nil
		}
		page = append(page, clone(*s.slots[i]))
	}
	return page, "", nil
}

// Cancel implements consignment.Repository.
func (s *Store) Cancel(_ context.Context, id, owner string) (consignment.Consignment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[id]
	if !ok || !kept(s.slots[i]) || owner != "" && s.slots[i].Owner != owner {
		return consignment.Consignment{}, consignment.ErrNotFound
	}
	s.slots[i].Status = consignment.StatusCancelled
	return clone(*s.slots[i]), nil
}

// Holder implements consignment.Repository: a random id made by New.
func (s *Store) Holder(context.Context) (string, error) {
	return s.holder, nil
}

// ClaimPending implements consignment.Repository.
func (s *Store) ClaimPending(_ context.Context, id, owner string, next consignment.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.pending(id)
	if c == nil || c.Lease.Owner != owner {
		return consignment.ErrNotFound
	}
	c.Lease = next
	return nil
}

// DeletePending implements consignment.Repository.
func (s *Store) DeletePending(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending(id) == nil {
		return consignment.ErrNotFound
	}
	s.slots[s.index[id]] = nil
	delete(s.index, id)
	return nil
}

// ListPending implements consignment.Repository; it returns the pending
// consignments in creation order.
func (s *Store) ListPending(_ context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []consignment.Consignment
	for _, c := range s.slots {
		if len(out) == limit {
			break
		}
		if c != nil && c.Status == consignment.StatusPending && !c.Lease.Until.After(t) {
			out = append(out, clone(*c))
		}
	}
	return out, nil
}

// pending returns the stored pending consignment with the id, or nil. The
// caller holds s.mu.
func (s *Store) pending(id string) *consignment.Consignment {
	i, ok := s.index[id]
	if !ok || s.slots[i].Status != consignment.StatusPending {
		return nil
	}
	return s.slots[i]
}

// booked reports whether a slot holds a booked consignment.
func booked(c *consignment.Consignment) bool {
	return c != nil && c.Status == consignment.StatusBooked
}

// kept reports whether a slot holds a booked or a cancelled consignment:
// one that is never deleted.
func kept(c *consignment.Consignment) bool {
	return c != nil && (c.Status == consignment.StatusBooked || c.Status == consignment.StatusCancelled)
}

// tokenPrefix and ownerTokenPrefix mark the tokens this package issues
// (store.EncodePageToken) for the listing of every consignment and for an
// owner's, so that a token from elsewhere, or from the other kind of
// listing, is rejected rather than read as a position.
const (
	tokenPrefix      = "mem1:"
	ownerTokenPrefix = "mem1o:"
)

func encodeToken(prefix string, pos int) string {
	return store.EncodePageToken(prefix, uint64(pos))
}

// decodeToken returns the position a page token of prefix points at, 0 for
// the empty token. n is the number of slots: a token is only ever issued
// for a position in 1..n-1, and n only grows.
func decodeToken(prefix, token string, n int) (int, error) {
	pos, ok := store.DecodePageToken(prefix, token)
	if !ok || pos > 0 && pos >= uint64(n) {
		return 0, consignment.ErrBadPageToken()
	}
	return int(pos), nil
}

// clone returns c with its own copy of the containers.
func clone(c consignment.Consignment) consignment.Consignment {
	c.Containers = append([]consignment.Container(nil), c.Containers...)
	return c
}
