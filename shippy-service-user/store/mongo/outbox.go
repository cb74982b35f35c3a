package mongo

import (
	"context"
	"fmt"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// The events to publish are in their user's document, in its
// outbox array, written by the insert of the user; Done pulls them
// from it (mongodb.Outbox, docs/outbox.md).

// Pending implements outbox.Store: the events of the users with
// pending events, in creation order, up to limit.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	out, err := s.pending(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

func (s *Store) pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, err
	}
	out, err := s.outbox.Pending(ctx, limit)
	return out, storeError(ctx, err)
}

// Done implements outbox.Store: it removes the events with the ids from
// their users' outboxes, one single-document update each.
func (s *Store) Done(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.done(ctx, ids); err != nil {
		return fmt.Errorf("mark %d events done: %w", len(ids), err)
	}
	return nil
}

func (s *Store) done(ctx context.Context, ids []string) error {
	if err := s.setUp(ctx); err != nil {
		return err
	}
	return storeError(ctx, s.outbox.Done(ctx, ids))
}

// Count implements outbox.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := s.count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}

func (s *Store) count(ctx context.Context) (int, error) {
	if err := s.setUp(ctx); err != nil {
		return 0, err
	}
	n, err := s.outbox.Count(ctx)
	return n, storeError(ctx, err)
}
