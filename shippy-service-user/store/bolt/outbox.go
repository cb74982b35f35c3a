package bolt

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// Pending implements outbox.Store: the first limit events of the outbox,
// in the order they were stored.
func (s *Store) Pending(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = storeOutbox.Pending(tx, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	return out, nil
}

// Done implements outbox.Store: it removes the events with the ids from
// the outbox, in one transaction.
func (s *Store) Done(ctx context.Context, ids []string) error {
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error { return storeOutbox.Done(tx, ids) })
	if err != nil {
		return fmt.Errorf("mark %d events done: %w", len(ids), err)
	}
	return nil
}

// Count implements outbox.Store. It reads every page of the outbox_ids
// bucket.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		n = storeOutbox.Count(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}
