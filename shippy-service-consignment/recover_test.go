package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/testenv"
)

// flakyBooker is a consignment.Booker whose first Release fails as
// unavailable, as at a start when the vessel service is not discoverable
// yet.
type flakyBooker struct {
	mu       sync.Mutex
	calls    int
	released []string
}

func (b *flakyBooker) Book(context.Context, string, int32, int32) (string, error) {
	return "", errors.New("not used")
}

func (b *flakyBooker) Release(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.calls == 1 {
		return consignment.ErrUnavailable
	}
	b.released = append(b.released, id)
	return nil
}

func (b *flakyBooker) releasedIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.released...)
}

// TestRecoverPeriodically checks that a failed recovery round is logged and
// retried, that a later round settles the abandoned create, and that the
// loop ends with its context.
func TestRecoverPeriodically(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
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
	booker := &flakyBooker{}
	logs := &testenv.SyncBuffer{}
	logger := platform.NewLogger(logs, slog.LevelInfo)
	svc, err := consignment.NewService(repo, booker, func() string { return "x" }, clock, logger)
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
	// The failed round holds the consignment's lease; once it runs out, a
	// later round settles the consignment.
	mu.Lock()
	now = now.Add(consignment.LeaseDuration)
	mu.Unlock()
	testenv.WaitFor(t, "the abandoned create released", func() bool { return len(booker.releasedIDs()) == 1 })
	testenv.WaitFor(t, "the abandoned create deleted", func() bool {
		_, err := repo.Get(t.Context(), "abandoned")
		return errors.Is(err, consignment.ErrNotFound)
	})

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("recoverPeriodically did not return after its context ended")
	}
}
