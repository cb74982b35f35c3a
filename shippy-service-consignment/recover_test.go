package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/shippy-service-consignment/announce"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/testenv"
)

// flakyBooker is a consignment.Booker whose first ExpiredHolds fails as
// unavailable, as at a start when the vessel service is not discoverable
// yet, and which then lists one expired hold, "unstored", until it is
// released.
type flakyBooker struct {
	mu       sync.Mutex
	lists    int
	held     bool // "unstored" is held, run out
	released []string
}

func (b *flakyBooker) Book(context.Context, string, int32, int32) (string, error) {
	return "", errors.New("not used")
}

func (b *flakyBooker) Confirm(context.Context, []string) error { return errors.New("not used") }

func (b *flakyBooker) ExpiredHolds(context.Context, int) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lists++
	switch {
	case b.lists == 1:
		return nil, consignment.ErrUnavailable
	case b.held:
		return []string{"unstored"}, nil
	}
	return nil, nil
}

func (b *flakyBooker) ReleaseExpiredHold(_ context.Context, id string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	released := b.held && id == "unstored"
	if released {
		b.held = false
		b.released = append(b.released, id)
	}
	return released, nil
}

func (b *flakyBooker) Release(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.released = append(b.released, id)
	return nil
}

func (b *flakyBooker) releasedIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.released...)
}

// TestRecoverPeriodically checks that a failed recovery round is logged and
// retried, that a later round settles the abandoned creates (a hold of a
// consignment that was not stored, and a pending consignment of an earlier
// release), and that the loop ends with its context.
func TestRecoverPeriodically(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	repo := memory.New()
	abandoned := consignment.Consignment{
		ID: "abandoned", Weight: 1, Status: consignment.StatusPending,
		Containers: []consignment.Container{{CustomerID: "c", Origin: "o"}},
		CreatedAt:  now.Add(-time.Hour),
		Lease:      consignment.Lease{Owner: "crashed", Until: now.Add(-time.Minute)},
	}
	if err := repo.Create(t.Context(), abandoned); err != nil {
		t.Fatal(err)
	}
	booker := &flakyBooker{held: true}
	logs := &testenv.SyncBuffer{}
	logger := platform.NewLogger(logs, slog.LevelInfo)
	announcer, err := announce.New(uuid.NewString)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := consignment.NewService(repo, booker, announcer, func() string { return "x" }, clock, logger)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		recoverPeriodically(ctx, svc, time.Millisecond, logger)
	}()
	testenv.WaitFor(t, "a failed round logged", func() bool { return strings.Contains(logs.String(), "retrying later") })
	testenv.WaitFor(t, "the abandoned creates released", func() bool { return len(booker.releasedIDs()) == 2 })
	testenv.WaitFor(t, "the abandoned create deleted", func() bool {
		_, err := repo.Get(t.Context(), "abandoned")
		return errors.Is(err, consignment.ErrNotFound)
	})

	if got := booker.releasedIDs(); !slices.Equal(got, []string{"unstored", "abandoned"}) {
		t.Errorf("released %v, want the expired hold, then the pending consignment", got)
	}
	testenv.WaitFor(t, "what was settled logged", func() bool { return strings.Contains(logs.String(), "recovery settled unfinished creates") })

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("recoverPeriodically did not return after its context ended")
	}
}
