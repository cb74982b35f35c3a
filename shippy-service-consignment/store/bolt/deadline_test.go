package bolt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// TestCreateDeadlinePassesInQueue checks that a Create whose deadline
// passes while it waits for the group commit writes nothing, and that the
// changes it shares the commit with are stored.
func TestCreateDeadlinePassesInQueue(t *testing.T) {
	t.Parallel()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))
	release := boltdbtest.Hold(t, s.db.Batcher())

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	late, onTime := make(chan error, 1), make(chan error, 1)
	go func() { late <- s.Create(ctx, benchConsignment("late")) }()
	go func() { onTime <- s.Create(t.Context(), benchConsignment("on-time")) }()
	for s.db.Batcher().Queued() < 2 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	<-ctx.Done()
	release(2)

	if err := <-late; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Create past its deadline = %v, want context.DeadlineExceeded", err)
	}
	if err := <-onTime; err != nil {
		t.Errorf("Create in the same commit = %v, want nil", err)
	}
	if _, err := s.Get(t.Context(), "late"); !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(late) = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(t.Context(), "on-time"); err != nil {
		t.Errorf("Get(on-time) = %v, want it stored", err)
	}
}
