// Package memory is a user.Repository that keeps accounts in process
// memory. Everything is lost when the process exits.
package memory

import (
	"context"
	"sync"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

var (
	_ user.Repository = (*Store)(nil)
	_ outbox.Store    = (*Store)(nil)
)

// Store is an in-memory user.Repository, safe for concurrent use. It
// stores and returns copies, so callers never share memory with it. The
// zero Store is not usable; call New.
type Store struct {
	// Queue is the outbox: the pending events, in the order they were
	// stored; its methods serve the relay (outbox.Store).
	outbox.Queue

	mu       sync.RWMutex
	accounts []user.Account // in creation order; never removed
	byID     map[string]int // id -> position in accounts
	byEmail  map[string]int // EmailKey -> position in accounts
}

// New returns an empty Store.
func New() *Store {
	return &Store{byID: make(map[string]int), byEmail: make(map[string]int)}
}

// Create implements user.Repository: it stores a copy of a, and of events
// in the outbox. It returns ctx's error, and stores nothing, when ctx has
// ended.
func (s *Store) Create(ctx context.Context, a user.Account, events ...outbox.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range events {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	key := domainuser.EmailKey(a.Email)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[a.ID]; ok {
		return domainuser.ErrConflict
	}
	if _, ok := s.byEmail[key]; ok {
		return domainuser.ErrConflict
	}
	s.byID[a.ID] = len(s.accounts)
	s.byEmail[key] = len(s.accounts)
	s.accounts = append(s.accounts, a.Clone())
	s.Add(events...)
	return nil
}

// Get implements user.Repository.
func (s *Store) Get(_ context.Context, id string) (user.Account, error) {
	return s.find(s.byID, id)
}

// GetByEmail implements user.Repository.
func (s *Store) GetByEmail(_ context.Context, email string) (user.Account, error) {
	return s.find(s.byEmail, domainuser.EmailKey(email))
}

// find returns a copy of the account index names under key.
func (s *Store) find(index map[string]int, key string) (user.Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := index[key]
	if !ok {
		return user.Account{}, domainuser.ErrNotFound
	}
	return s.accounts[i].Clone(), nil
}

// List implements user.Repository. A page token is the position of the
// first account of the next page; positions stay valid because accounts
// are never removed.
func (s *Store) List(_ context.Context, limit int, pageToken string) ([]user.Account, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start, err := decodeToken(pageToken, len(s.accounts))
	if err != nil {
		return nil, "", err
	}
	end, next := len(s.accounts), ""
	if limit > 0 && start+limit < end {
		end, next = start+limit, encodeToken(start+limit)
	}
	page := make([]user.Account, 0, end-start)
	for _, a := range s.accounts[start:end] {
		page = append(page, a.Clone())
	}
	return page, next, nil
}

// SetRole implements user.Repository.
func (s *Store) SetRole(_ context.Context, id string, r domainuser.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byID[id]
	if !ok {
		return domainuser.ErrNotFound
	}
	s.accounts[i].Role = r
	return nil
}

// tokenPrefix marks the tokens this package issues (store.EncodePageToken),
// so that a token from elsewhere is rejected rather than read as a
// position.
const tokenPrefix = "mem1:"

func encodeToken(pos int) string {
	return store.EncodePageToken(tokenPrefix, uint64(pos))
}

// decodeToken returns the position a page token points at, 0 for the
// empty token. n is the number of accounts: a token is only ever issued
// for a position in 1..n-1, and n only grows.
func decodeToken(token string, n int) (int, error) {
	pos, ok := store.DecodePageToken(tokenPrefix, token)
	if !ok || pos > 0 && pos >= uint64(n) {
		return 0, user.ErrBadPageToken()
	}
	return int(pos), nil
}
