// Package memory is a consignment.Repository that keeps consignments in
// process memory. Everything is lost when the process exits.
package memory

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Store is an in-memory consignment.Repository, safe for concurrent use. It
// stores and returns copies, so callers never share memory with it. The zero
// Store is not usable; call New.
type Store struct {
	mu    sync.RWMutex
	items []consignment.Consignment // in creation order; never removed
	index map[string]int            // id -> position in items
}

var _ consignment.Repository = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{index: make(map[string]int)}
}

// Create stores a copy of c, or returns consignment.ErrConflict when c.ID is
// taken.
func (s *Store) Create(_ context.Context, c consignment.Consignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.index[c.ID]; ok {
		return consignment.ErrConflict
	}
	s.index[c.ID] = len(s.items)
	s.items = append(s.items, clone(c))
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
	return clone(s.items[i]), nil
}

// List returns copies of up to limit consignments in creation order (0 means
// all). A page token encodes the position of the page's first consignment;
// positions stay valid because nothing is removed.
func (s *Store) List(_ context.Context, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start, err := decodeToken(pageToken, len(s.items))
	if err != nil {
		return nil, "", err
	}
	end := len(s.items)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	page := make([]consignment.Consignment, 0, end-start)
	for _, c := range s.items[start:end] {
		page = append(page, clone(c))
	}
	next := ""
	if end < len(s.items) {
		next = encodeToken(end)
	}
	return page, next, nil
}

// tokenPrefix marks the tokens this package issues, so that a token from
// elsewhere is rejected rather than read as a position.
const tokenPrefix = "mem1:"

func encodeToken(pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(pos)))
}

// decodeToken returns the position a page token points at, 0 for the empty
// token. n is the number of stored consignments: a token is only ever issued
// for a position in 1..n-1, and n only grows.
func decodeToken(token string, n int) (int, error) {
	if token == "" {
		return 0, nil
	}
	invalid := &consignment.FieldError{Field: "page_token", Reason: "not a token from a previous page"}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, invalid
	}
	digits, ok := strings.CutPrefix(string(raw), tokenPrefix)
	if !ok {
		return 0, invalid
	}
	pos, err := strconv.Atoi(digits)
	if err != nil || pos <= 0 || pos >= n {
		return 0, invalid
	}
	return pos, nil
}

// clone returns c with its own copy of the containers.
func clone(c consignment.Consignment) consignment.Consignment {
	c.Containers = append([]consignment.Container(nil), c.Containers...)
	return c
}
