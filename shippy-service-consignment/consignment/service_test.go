package consignment_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
)

// idempotentBooker books every consignment onto one vessel, once per id, as
// the vessel service does, and counts the room it holds.
type idempotentBooker struct {
	mu       sync.Mutex
	calls    int
	held     map[string]bool
	releases int
}

func newBooker() *idempotentBooker { return &idempotentBooker{held: make(map[string]bool)} }

func (b *idempotentBooker) Book(_ context.Context, id string, _, _ int32) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.held[id] = true
	return "vessel001", nil
}

func (b *idempotentBooker) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.releases++
	delete(b.held, id)
	return nil
}

func newService(t *testing.T, repo consignment.Repository, booker consignment.Booker) *consignment.Service {
	t.Helper()
	svc, err := consignment.NewService(repo, booker, func() string { return "generated" }, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewService() = %v", err)
	}
	return svc
}

func TestNewServiceChecksDependencies(t *testing.T) {
	t.Parallel()
	repo, booker, newID, logger := memory.New(), newBooker(), func() string { return "x" }, slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		repo    consignment.Repository
		booker  consignment.Booker
		newID   func() string
		logger  *slog.Logger
		wantErr bool
	}{
		{name: "all set", repo: repo, booker: booker, newID: newID, logger: logger},
		{name: "no repository", booker: booker, newID: newID, logger: logger, wantErr: true},
		{name: "no booker", repo: repo, newID: newID, logger: logger, wantErr: true},
		{name: "no id generator", repo: repo, booker: booker, logger: logger, wantErr: true},
		{name: "no logger", repo: repo, booker: booker, newID: newID, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, err := consignment.NewService(tt.repo, tt.booker, tt.newID, time.Now, tt.logger)
			if gotErr := err != nil; gotErr != tt.wantErr || (svc == nil) != tt.wantErr {
				t.Errorf("NewService() = %v, %v; want error %v", svc, err, tt.wantErr)
			}
		})
	}
}

func TestCreateConcurrentRetries(t *testing.T) {
	t.Parallel()
	booker := newBooker()
	repo := memory.New()
	svc := newService(t, repo, booker)

	const n = 16
	results := make([]consignment.Consignment, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = svc.Create(context.Background(), validConsignment()) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i].VesselID != "vessel001" {
			t.Errorf("create %d = %+v, %v; want the booked consignment", i, results[i], errs[i])
		}
	}
	items, _, err := repo.List(context.Background(), 0, "")
	if err != nil || len(items) != 1 {
		t.Errorf("stored %d consignments (%v), want 1", len(items), err)
	}
	if booker.releases != 0 || len(booker.held) != 1 {
		t.Errorf("releases = %d, held = %v; want one booking kept", booker.releases, booker.held)
	}
}

func TestCreateDoesNotKeepCallersSlice(t *testing.T) {
	t.Parallel()
	svc := newService(t, memory.New(), newBooker())
	in := validConsignment()
	in.ID = ""
	got, err := svc.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if got.ID != "generated" {
		t.Errorf("id = %q, want the generated one", got.ID)
	}
	in.Containers[0].Origin = "changed"
	if got.Containers[0].Origin == "changed" {
		t.Error("the returned consignment shares the caller's containers")
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	repo := memory.New()
	svc := newService(t, repo, newBooker())
	for i := range 3 {
		c := validConsignment()
		c.ID = fmt.Sprintf("c-%d", i)
		if _, err := svc.Create(context.Background(), c); err != nil {
			t.Fatalf("Create(%s) = %v", c.ID, err)
		}
	}
	tests := []struct {
		name      string
		limit     int
		token     string
		wantItems int
		wantNext  bool
		wantField string
	}{
		{name: "all", limit: 0, wantItems: 3},
		{name: "first page", limit: 2, wantItems: 2, wantNext: true},
		{name: "negative limit", limit: -1, wantField: "limit"},
		{name: "bad token", limit: 1, token: "nope", wantField: "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, next, err := svc.List(context.Background(), tt.limit, tt.token)
			if tt.wantField != "" {
				var fe *consignment.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.wantField {
					t.Errorf("List() = %v, want a *FieldError on %q", err, tt.wantField)
				}
				return
			}
			if err != nil || len(items) != tt.wantItems || (next != "") != tt.wantNext {
				t.Errorf("List() = %d items, next %q, %v; want %d items, next %v", len(items), next, err, tt.wantItems, tt.wantNext)
			}
		})
	}
}
