// Package memory is a notification.Repository in memory, for tests: what
// it holds is lost when the process ends.
package memory

import (
	"context"
	"sync"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

var _ notification.Repository = (*Store)(nil)

// Store is a notification.Repository in maps, safe for concurrent use.
// Methods return ctx's error when ctx is done before they start.
type Store struct {
	mu         sync.Mutex
	recipients map[string]notification.Recipient
	sent       map[string]notification.Sent
}

// New returns an empty Store.
func New() *Store {
	return &Store{recipients: make(map[string]notification.Recipient), sent: make(map[string]notification.Sent)}
}

// SaveRecipient implements notification.Repository.
func (s *Store) SaveRecipient(ctx context.Context, r notification.Recipient) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recipients[r.UserID] = r
	return nil
}

// Recipient implements notification.Repository.
func (s *Store) Recipient(ctx context.Context, userID string) (notification.Recipient, error) {
	if err := ctx.Err(); err != nil {
		return notification.Recipient{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recipients[userID]
	if !ok {
		return notification.Recipient{}, notification.ErrUnknownUser
	}
	return r, nil
}

// Handled implements notification.Repository.
func (s *Store) Handled(ctx context.Context, eventID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sent[eventID]
	return ok, nil
}

// RecordSent implements notification.Repository: the first record of an
// event stays.
func (s *Store) RecordSent(ctx context.Context, sent notification.Sent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sent[sent.EventID]; !ok {
		s.sent[sent.EventID] = sent
	}
	return nil
}
