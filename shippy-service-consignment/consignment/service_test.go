package consignment_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/domain/consignment/consignmenttest"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
)

// fakeBooker books every consignment onto one vessel, once per id, as the
// vessel service does: it holds room per consignment id, and a repeated
// Book takes no more. Its failures and hooks are set with configure.
type fakeBooker struct {
	mu sync.Mutex
	// bookErr, when set, fails Book. With takeRoom, Book takes the room
	// first, as a vessel service that answered too late would.
	bookErr  error
	takeRoom bool
	// releaseErr, when set, fails Release.
	releaseErr error
	// afterBook, when set, runs once, after a Book took room and before it
	// returns: the time when a create can stall or crash.
	afterBook func(id string)
	// duringRelease, when set, runs in every Release before it gives the
	// room back.
	duringRelease func(id string)

	held     map[string]bool // ids holding room
	books    int             // Book calls
	taken    int             // times room was taken
	released []string        // ids of successful Release calls, in order
}

func newBooker() *fakeBooker { return &fakeBooker{held: make(map[string]bool)} }

func (b *fakeBooker) Book(_ context.Context, id string, _, _ int32) (string, error) {
	b.mu.Lock()
	b.books++
	if b.bookErr != nil && !b.takeRoom {
		b.mu.Unlock()
		return "", b.bookErr
	}
	if !b.held[id] {
		b.held[id] = true
		b.taken++
	}
	hook := b.afterBook
	b.afterBook = nil
	b.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	if b.bookErr != nil {
		return "", b.bookErr
	}
	return "vessel001", nil
}

func (b *fakeBooker) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	hook, err := b.duringRelease, b.releaseErr
	b.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.released = append(b.released, id)
	delete(b.held, id)
	return nil
}

// configure changes the booker's failures and hooks.
func (b *fakeBooker) configure(change func(*fakeBooker)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change(b)
}

// state returns a copy of what the booker holds and counts.
func (b *fakeBooker) state() (held []string, books, taken int, released []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.held {
		held = append(held, id)
	}
	slices.Sort(held)
	return held, b.books, b.taken, slices.Clone(b.released)
}

// clock is a settable time source for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testContext returns a context that ends after 5 seconds, so that a
// create waiting for a lease by mistake fails its test instead of hanging
// it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start is the clock's time when a test begins.
var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// crashRepo is a repository that can crash: while crash is set, every
// write that settles a pending consignment fails, as when the process dies
// right after the room was booked. afterListPending, when set, runs once
// after a ListPending.
type crashRepo struct {
	consignment.Repository
	mu               sync.Mutex
	crash            bool
	afterListPending func()
	// markErr, when set, fails the next MarkBooked, as a store that could
	// not write would.
	markErr error
}

var errCrash = errors.New("process died")

func (r *crashRepo) crashed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.crash
}

func (r *crashRepo) setCrash(crash bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crash = crash
}

func (r *crashRepo) MarkBooked(ctx context.Context, id, owner, vesselID string) error {
	if r.crashed() {
		return errCrash
	}
	r.mu.Lock()
	err := r.markErr
	r.markErr = nil
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return r.Repository.MarkBooked(ctx, id, owner, vesselID)
}

func (r *crashRepo) TransferLease(ctx context.Context, id, owner string, next consignment.Lease) (consignment.Lease, error) {
	if r.crashed() {
		return consignment.Lease{}, errCrash
	}
	return r.Repository.TransferLease(ctx, id, owner, next)
}

func (r *crashRepo) DeletePending(ctx context.Context, id, owner string) error {
	if r.crashed() {
		return errCrash
	}
	return r.Repository.DeletePending(ctx, id, owner)
}

func (r *crashRepo) ListPending(ctx context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	cs, err := r.Repository.ListPending(ctx, t, limit)
	r.mu.Lock()
	hook := r.afterListPending
	r.afterListPending = nil
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	return cs, err
}

// failingCreateRepo fails every Create with err.
type failingCreateRepo struct {
	consignment.Repository
	err error
}

func (r failingCreateRepo) Create(context.Context, consignment.Consignment) error { return r.err }

// env is one Service over a memory repository (behind crashRepo), a fake
// booker and a clock.
type env struct {
	svc    *consignment.Service
	repo   *crashRepo
	booker *fakeBooker
	clock  *clock
}

// newEnv returns an env; change, when set, adjusts the booker before the
// service uses it.
func newEnv(t *testing.T, change func(*fakeBooker)) *env {
	t.Helper()
	e := &env{repo: &crashRepo{Repository: memory.New()}, booker: newBooker(), clock: &clock{t: start}}
	if change != nil {
		e.booker.configure(change)
	}
	e.svc = newService(t, e.repo, e.booker, e.clock.Now)
	return e
}

func newService(t *testing.T, repo consignment.Repository, booker consignment.Booker, now func() time.Time) *consignment.Service {
	t.Helper()
	svc, err := consignment.NewService(repo, booker, func() string { return "generated" }, now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewService() = %v", err)
	}
	return svc
}

// get returns the stored consignment with the id, or the zero Consignment
// when there is none.
func (e *env) get(t *testing.T, id string) consignment.Consignment {
	t.Helper()
	c, err := e.repo.Get(testContext(t), id)
	if err != nil && !errors.Is(err, consignment.ErrNotFound) {
		t.Fatalf("Get(%q) = %v", id, err)
	}
	return c
}

// create creates c, failing t when that fails, and returns what Create
// returned.
func (e *env) create(t *testing.T, c consignment.Consignment) consignment.Consignment {
	t.Helper()
	got, err := e.svc.Create(testContext(t), c)
	if err != nil {
		t.Fatalf("Create(%q) = %v", c.ID, err)
	}
	return got
}

// crashAfterBook runs a create of c that stops after its room is booked,
// and checks what it leaves: c pending, its room held.
func (e *env) crashAfterBook(t *testing.T, c consignment.Consignment) {
	t.Helper()
	e.repo.setCrash(true)
	defer e.repo.setCrash(false)
	if _, err := e.svc.Create(testContext(t), c); !errors.Is(err, errCrash) {
		t.Fatalf("Create() = %v, want the crash", err)
	}
	if got := e.get(t, c.ID); got.Status != consignment.StatusPending {
		t.Fatalf("after the crash %q is %q, want pending", c.ID, got.Status)
	}
	if held, _, _, _ := e.booker.state(); !slices.Contains(held, c.ID) {
		t.Fatalf("after the crash held = %v, want %q", held, c.ID)
	}
}

// booked returns consignmenttest.Valid() with the id as Create returns it.
func booked(id string) consignment.Consignment {
	c := consignmenttest.Valid()
	c.ID = id
	c.VesselID = "vessel001"
	c.Status = consignment.StatusBooked
	c.CreatedAt = start
	return c
}

func withID(id string) consignment.Consignment {
	c := consignmenttest.Valid()
	c.ID = id
	return c
}

func TestNewServiceChecksDependencies(t *testing.T) {
	t.Parallel()
	repo, booker, newID, now, logger := memory.New(), newBooker(), func() string { return "x" }, time.Now, slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		repo    consignment.Repository
		booker  consignment.Booker
		newID   func() string
		now     func() time.Time
		logger  *slog.Logger
		wantErr bool
	}{
		{name: "all set", repo: repo, booker: booker, newID: newID, now: now, logger: logger},
		{name: "no repository", booker: booker, newID: newID, now: now, logger: logger, wantErr: true},
		{name: "no booker", repo: repo, newID: newID, now: now, logger: logger, wantErr: true},
		{name: "no id generator", repo: repo, booker: booker, now: now, logger: logger, wantErr: true},
		{name: "no clock", repo: repo, booker: booker, newID: newID, logger: logger, wantErr: true},
		{name: "no logger", repo: repo, booker: booker, newID: newID, now: now, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, err := consignment.NewService(tt.repo, tt.booker, tt.newID, tt.now, tt.logger)
			if gotErr := err != nil; gotErr != tt.wantErr || (svc == nil) != tt.wantErr {
				t.Errorf("NewService() = %v, %v; want error %v", svc, err, tt.wantErr)
			}
		})
	}
}

func TestCreateBooksAndStores(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	in := consignmenttest.Valid()
	in.VesselID = "chosen-by-client"
	got := e.create(t, in)
	want := booked("c-1")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.get(t, "c-1")); diff != "" {
		t.Errorf("stored consignment mismatch (-want +got):\n%s", diff)
	}

	// A retry returns the stored consignment and asks the vessel service
	// nothing.
	e.clock.Advance(time.Hour)
	again, err := e.svc.Create(testContext(t), consignmenttest.Valid())
	if err != nil || !cmp.Equal(again, want) {
		t.Errorf("retried Create() = %+v, %v; want %+v", again, err, want)
	}
	if held, books, _, _ := e.booker.state(); books != 1 || !slices.Equal(held, []string{"c-1"}) {
		t.Errorf("Book called %d times, held %v; want 1 call, c-1 held", books, held)
	}
}

func TestCreateStoreFailureBooksNothing(t *testing.T) {
	t.Parallel()
	booker := newBooker()
	storeErr := errors.New("disk on fire")
	svc := newService(t, failingCreateRepo{memory.New(), storeErr}, booker, time.Now)
	if _, err := svc.Create(testContext(t), consignmenttest.Valid()); !errors.Is(err, storeErr) {
		t.Errorf("Create() = %v, want the store's error", err)
	}
	if _, books, _, _ := booker.state(); books != 0 {
		t.Errorf("Book called %d times, want 0: nothing is booked before the intent is stored", books)
	}
}

func TestCreateConflict(t *testing.T) {
	t.Parallel()
	different := consignmenttest.Valid()
	different.Description = "someone else's"
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env)
	}{
		{name: "booked", prepare: func(t *testing.T, e *env) {
			e.create(t, consignmenttest.Valid())
		}},
		{name: "pending", prepare: func(t *testing.T, e *env) { e.crashAfterBook(t, consignmenttest.Valid()) }},
		{name: "pending, lease run out", prepare: func(t *testing.T, e *env) {
			e.crashAfterBook(t, consignmenttest.Valid())
			e.clock.Advance(consignment.LeaseDuration)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			tt.prepare(t, e)
			before := e.get(t, "c-1")
			if _, err := e.svc.Create(testContext(t), different); !errors.Is(err, consignment.ErrConflict) {
				t.Errorf("Create(same id, other contents) = %v, want ErrConflict", err)
			}
			if _, books, _, _ := e.booker.state(); books != 1 {
				t.Errorf("Book called %d times, want 1: a conflict books nothing", books)
			}
			if diff := cmp.Diff(before, e.get(t, "c-1")); diff != "" {
				t.Errorf("a conflict changed the stored consignment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateRefusedBookingStoresNothing(t *testing.T) {
	t.Parallel()
	for _, bookErr := range []error{consignment.ErrNoRoom, consignment.ErrConflict} {
		t.Run(bookErr.Error(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(b *fakeBooker) { b.bookErr = bookErr })
			if _, err := e.svc.Create(testContext(t), consignmenttest.Valid()); !errors.Is(err, bookErr) {
				t.Fatalf("Create() = %v, want %v", err, bookErr)
			}
			if got := e.get(t, "c-1"); got.ID != "" {
				t.Errorf("after a refused booking %q is stored as %s, want nothing stored", got.ID, got.Status)
			}
			if held, _, _, _ := e.booker.state(); len(held) != 0 {
				t.Errorf("held = %v, want nothing", held)
			}
			// The id is free: a create with other contents is no conflict.
			other := consignmenttest.Valid()
			other.Weight = 1
			e.booker.configure(func(b *fakeBooker) { b.bookErr = nil })
			if got, err := e.svc.Create(testContext(t), other); err != nil || got.Weight != 1 {
				t.Errorf("Create(same id, other contents) after the refusal = %+v, %v; want it booked", got, err)
			}
		})
	}
}

// TestCreateUnknownOutcomeThenRecover covers a Book whose outcome the
// service cannot know: the vessel service did not answer in time, but took
// the room. The consignment stays pending, unlisted, and Recover gives the
// room back once the lease has run out.
func TestCreateUnknownOutcomeThenRecover(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, func(b *fakeBooker) { b.bookErr, b.takeRoom = consignment.ErrUnavailable, true })
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Create() = %v, want ErrUnavailable", err)
	}
	if got := e.get(t, "c-1"); got.Status != consignment.StatusPending {
		t.Errorf("c-1 is %q, want pending", got.Status)
	}
	if items, _, err := e.svc.List(ctx, 0, ""); err != nil || len(items) != 0 {
		t.Errorf("List() = %d items, %v; want none: a pending consignment is not listed", len(items), err)
	}

	if n, err := e.svc.Recover(ctx); n != 0 || err != nil {
		t.Errorf("Recover() within the lease = %d, %v; want 0, nil", n, err)
	}
	e.clock.Advance(consignment.LeaseDuration)
	if n, err := e.svc.Recover(ctx); n != 1 || err != nil {
		t.Errorf("Recover() after the lease = %d, %v; want 1, nil", n, err)
	}
	if held, _, _, released := e.booker.state(); len(held) != 0 || !slices.Equal(released, []string{"c-1"}) {
		t.Errorf("held %v, released %v; want c-1 released", held, released)
	}
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 is still stored as %s after Recover", got.Status)
	}
}

// TestCreateRetryAfterUnknownOutcome: a create that failed without knowing
// whether its room was booked hands its lease back, so a retry, here once
// the vessel service is back, carries on at once and books once.
func TestCreateRetryAfterUnknownOutcome(t *testing.T) {
	t.Parallel()
	for _, tookRoom := range []bool{false, true} {
		t.Run(fmt.Sprintf("room taken %v", tookRoom), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(b *fakeBooker) { b.bookErr, b.takeRoom = consignment.ErrUnavailable, tookRoom })
			if _, err := e.svc.Create(testContext(t), consignmenttest.Valid()); !errors.Is(err, consignment.ErrUnavailable) {
				t.Fatalf("Create() = %v, want ErrUnavailable", err)
			}
			if lease := e.get(t, "c-1").Lease; lease.Owner != "" || !lease.Until.Equal(start.Add(consignment.LeaseDuration)) {
				t.Errorf("lease after the failure = %+v, want handed back, Until kept", lease)
			}

			e.booker.configure(func(b *fakeBooker) { b.bookErr = nil })
			ctx, cancel := context.WithTimeout(testContext(t), time.Second)
			defer cancel()
			got, err := e.svc.Create(ctx, consignmenttest.Valid())
			if err != nil || !cmp.Equal(got, booked("c-1")) {
				t.Errorf("immediate retry = %+v, %v; want it booked", got, err)
			}
			if held, _, taken, _ := e.booker.state(); taken != 1 || !slices.Equal(held, []string{"c-1"}) {
				t.Errorf("room taken %d times, held %v; want once, c-1", taken, held)
			}
		})
	}
}

// TestCreateRetryAfterStoreFailure: the store fails to record a booking;
// the create hands its lease back, and a retry records the same booking.
func TestCreateRetryAfterStoreFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	storeErr := fmt.Errorf("%w: store down", consignment.ErrUnavailable)
	e.repo.markErr = storeErr
	if _, err := e.svc.Create(testContext(t), consignmenttest.Valid()); !errors.Is(err, storeErr) {
		t.Fatalf("Create() = %v, want the store's error", err)
	}
	if got := e.get(t, "c-1"); got.Status != consignment.StatusPending || got.Lease.Owner != "" {
		t.Errorf("c-1 is %q leased to %q, want pending and handed back", got.Status, got.Lease.Owner)
	}
	ctx, cancel := context.WithTimeout(testContext(t), time.Second)
	defer cancel()
	if got, err := e.svc.Create(ctx, consignmenttest.Valid()); err != nil || !cmp.Equal(got, booked("c-1")) {
		t.Errorf("immediate retry = %+v, %v; want it booked", got, err)
	}
	if held, _, taken, released := e.booker.state(); taken != 1 || len(released) != 0 || !slices.Equal(held, []string{"c-1"}) {
		t.Errorf("room taken %d times, released %v, held %v; want taken once and kept", taken, released, held)
	}
}

// TestCreateRefusedAfterEarlyTakeover: a retry that took over a handed-back
// lease before its Until may not delete a refused consignment, since the
// earlier create's Book may yet take room: the consignment stays pending,
// and Recover settles it after Until.
func TestCreateRefusedAfterEarlyTakeover(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, func(b *fakeBooker) { b.bookErr = consignment.ErrUnavailable })
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Create() = %v, want ErrUnavailable", err)
	}
	e.booker.configure(func(b *fakeBooker) { b.bookErr = consignment.ErrNoRoom })
	e.clock.Advance(time.Second)
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); !errors.Is(err, consignment.ErrNoRoom) {
		t.Fatalf("retry = %v, want ErrNoRoom", err)
	}
	got := e.get(t, "c-1")
	if want := start.Add(time.Second + consignment.LeaseDuration); got.Status != consignment.StatusPending || got.Lease.Owner != "" || !got.Lease.Until.Equal(want) {
		t.Errorf("after the refusal c-1 is %q with lease %+v; want pending, handed back, until %v", got.Status, got.Lease, want)
	}
	if n, err := e.svc.Recover(ctx); n != 0 || err != nil {
		t.Errorf("Recover() before Until = %d, %v; want 0, nil", n, err)
	}
	e.clock.Advance(consignment.LeaseDuration)
	if n, err := e.svc.Recover(ctx); n != 1 || err != nil {
		t.Errorf("Recover() after Until = %d, %v; want 1, nil", n, err)
	}
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 still stored as %q after Recover", got.Status)
	}
}

// TestRecoverBacksOffFromRetriedCreate: a consignment Recover listed is
// taken over and handed back by a retry before Recover gets to it; the
// retry's Book may yet take effect, so Recover leaves it alone.
func TestRecoverBacksOffFromRetriedCreate(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, func(b *fakeBooker) { b.bookErr = consignment.ErrUnavailable })
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Create() = %v, want ErrUnavailable", err)
	}
	e.clock.Advance(consignment.LeaseDuration)
	var retryErr error
	e.repo.afterListPending = func() { _, retryErr = e.svc.Create(ctx, consignmenttest.Valid()) }

	if n, err := e.svc.Recover(ctx); n != 0 || err != nil {
		t.Errorf("Recover() = %d, %v; want 0, nil", n, err)
	}
	if !errors.Is(retryErr, consignment.ErrUnavailable) {
		t.Errorf("retry = %v, want ErrUnavailable", retryErr)
	}
	if _, books, _, released := e.booker.state(); books != 2 || len(released) != 0 {
		t.Errorf("Book called %d times, released %v; want 2 and nothing released", books, released)
	}
	if lease := e.get(t, "c-1").Lease; lease.Owner != "" || !lease.Until.Equal(start.Add(2*consignment.LeaseDuration)) {
		t.Errorf("lease after Recover backed off = %+v, want handed back, until the retry's", lease)
	}
}

// TestCreateRetryAfterCrash: a create stops after booking; its retry with
// the same id finishes it and books the room once.
func TestCreateRetryAfterCrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.crashAfterBook(t, consignmenttest.Valid())

	// Within the lease, the crashed create may still be at work: a retry
	// waits for it, until its context ends.
	ctx, cancel := context.WithTimeout(testContext(t), 3*time.Millisecond)
	defer cancel()
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); !errors.Is(err, consignment.ErrUnavailable) {
		t.Errorf("retry within the lease = %v, want ErrUnavailable", err)
	}
	if _, books, _, _ := e.booker.state(); books != 1 {
		t.Errorf("Book called %d times within the lease, want 1", books)
	}

	e.clock.Advance(consignment.LeaseDuration)
	got, err := e.svc.Create(testContext(t), consignmenttest.Valid())
	if err != nil {
		t.Fatalf("retry after the lease = %v", err)
	}
	if diff := cmp.Diff(booked("c-1"), got); diff != "" {
		t.Errorf("retry after the lease (-want +got):\n%s", diff)
	}
	if held, _, taken, released := e.booker.state(); taken != 1 || len(released) != 0 || !slices.Equal(held, []string{"c-1"}) {
		t.Errorf("room taken %d times, released %v, held %v; want taken once and kept", taken, released, held)
	}
	// Recover leaves a booked consignment alone.
	e.clock.Advance(time.Hour)
	if n, err := e.svc.Recover(testContext(t)); n != 0 || err != nil {
		t.Errorf("Recover() = %d, %v; want 0, nil", n, err)
	}
}

// TestRecover: only the creates whose lease ran out are settled: their
// room released, whether they had booked any, and they are deleted.
// Fresh pending and booked consignments are left alone.
func TestRecover(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, nil)

	if _, err := e.svc.Create(ctx, withID("booked")); err != nil {
		t.Fatalf("Create(booked) = %v", err)
	}
	e.crashAfterBook(t, withID("crashed-after-book"))
	// A create that stopped before booking: its intent only.
	e.booker.configure(func(b *fakeBooker) { b.bookErr = errors.New("vessel service answered 500") })
	if _, err := e.svc.Create(ctx, withID("crashed-before-book")); err == nil {
		t.Fatal("Create(crashed-before-book) succeeded, want an error")
	}
	e.booker.configure(func(b *fakeBooker) { b.bookErr = nil })
	e.clock.Advance(consignment.LeaseDuration)
	e.crashAfterBook(t, withID("fresh"))

	n, err := e.svc.Recover(ctx)
	if n != 2 || err != nil {
		t.Errorf("Recover() = %d, %v; want 2, nil", n, err)
	}
	held, _, _, released := e.booker.state()
	slices.Sort(released)
	if diff := cmp.Diff([]string{"crashed-after-book", "crashed-before-book"}, released); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"booked", "fresh"}, held); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
	for id, want := range map[string]consignment.Status{
		"booked": consignment.StatusBooked, "fresh": consignment.StatusPending,
		"crashed-after-book": "", "crashed-before-book": "",
	} {
		if got := e.get(t, id).Status; got != want {
			t.Errorf("after Recover %q is %q, want %q", id, got, want)
		}
	}
}

func TestRecoverVesselServiceUnavailable(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t, nil)
	e.crashAfterBook(t, consignmenttest.Valid())
	e.clock.Advance(consignment.LeaseDuration)

	e.booker.configure(func(b *fakeBooker) { b.releaseErr = consignment.ErrUnavailable })
	if n, err := e.svc.Recover(ctx); n != 0 || !errors.Is(err, consignment.ErrUnavailable) {
		t.Errorf("Recover() = %d, %v; want 0, ErrUnavailable", n, err)
	}
	if got := e.get(t, "c-1").Status; got != consignment.StatusPending {
		t.Errorf("c-1 is %q after a failed recovery, want pending", got)
	}

	// The failed recovery holds the lease for its own while; then the next
	// one settles the consignment.
	e.booker.configure(func(b *fakeBooker) { b.releaseErr = nil })
	if n, err := e.svc.Recover(ctx); n != 0 || err != nil {
		t.Errorf("Recover() within the failed one's lease = %d, %v; want 0, nil", n, err)
	}
	e.clock.Advance(consignment.LeaseDuration)
	if n, err := e.svc.Recover(ctx); n != 1 || err != nil {
		t.Errorf("Recover() = %d, %v; want 1, nil", n, err)
	}
	if held, _, _, _ := e.booker.state(); len(held) != 0 {
		t.Errorf("held = %v, want nothing", held)
	}
}

// TestRecoverExcludesRetry: while Recover gives a consignment's room back,
// a retry of its create neither books nor stores it; after, it starts
// afresh.
func TestRecoverExcludesRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.crashAfterBook(t, consignmenttest.Valid())
	e.clock.Advance(consignment.LeaseDuration)

	var retryErr error
	e.booker.configure(func(b *fakeBooker) {
		b.duringRelease = func(string) {
			ctx, cancel := context.WithTimeout(testContext(t), 3*time.Millisecond)
			defer cancel()
			_, retryErr = e.svc.Create(ctx, consignmenttest.Valid())
		}
	})
	if n, err := e.svc.Recover(testContext(t)); n != 1 || err != nil {
		t.Fatalf("Recover() = %d, %v; want 1, nil", n, err)
	}
	if !errors.Is(retryErr, consignment.ErrUnavailable) {
		t.Errorf("retry during the recovery = %v, want ErrUnavailable", retryErr)
	}
	if _, books, _, _ := e.booker.state(); books != 1 {
		t.Errorf("Book called %d times, want 1: the retry must not book", books)
	}

	e.booker.configure(func(b *fakeBooker) { b.duringRelease = nil })
	if got, err := e.svc.Create(testContext(t), consignmenttest.Valid()); err != nil || got.Status != consignment.StatusBooked {
		t.Errorf("retry after the recovery = %+v, %v; want it booked", got, err)
	}
	if held, _, _, _ := e.booker.state(); !slices.Equal(held, []string{"c-1"}) {
		t.Errorf("held = %v, want c-1", held)
	}
}

// TestCreateStallsPastLease: a create stalls after booking until its lease
// has run out and another party took the consignment over. It must not
// store the booking on its own; the outcome is the taker's.
func TestCreateStallsPastLease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// takeOver runs while the first create stalls, after its lease ran
		// out.
		takeOver   func(t *testing.T, e *env)
		wantErr    error
		wantStatus consignment.Status
		wantHeld   []string
	}{
		{
			name: "Recover takes over",
			takeOver: func(t *testing.T, e *env) {
				if n, err := e.svc.Recover(testContext(t)); n != 1 || err != nil {
					t.Errorf("Recover() = %d, %v; want 1, nil", n, err)
				}
			},
			wantErr: consignment.ErrUnavailable,
		},
		{
			name: "a retry takes over",
			takeOver: func(t *testing.T, e *env) {
				if _, err := e.svc.Create(testContext(t), consignmenttest.Valid()); err != nil {
					t.Errorf("retry = %v, want it booked", err)
				}
			},
			wantStatus: consignment.StatusBooked,
			wantHeld:   []string{"c-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.booker.configure(func(b *fakeBooker) {
				b.afterBook = func(string) {
					e.clock.Advance(consignment.LeaseDuration)
					tt.takeOver(t, e)
				}
			})
			got, err := e.svc.Create(testContext(t), consignmenttest.Valid())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("stalled Create() = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.Status != consignment.StatusBooked {
				t.Errorf("stalled Create() = %+v, want the booked consignment", got)
			}
			if status := e.get(t, "c-1").Status; status != tt.wantStatus {
				t.Errorf("c-1 is %q, want %q", status, tt.wantStatus)
			}
			if held, _, taken, _ := e.booker.state(); !slices.Equal(held, tt.wantHeld) || taken != 1 {
				t.Errorf("held %v, room taken %d times; want %v, once", held, taken, tt.wantHeld)
			}
		})
	}
}

func TestCreateConcurrentRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const n = 16
	results := make([]consignment.Consignment, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = e.svc.Create(testContext(t), consignmenttest.Valid()) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !cmp.Equal(results[i], booked("c-1")) {
			t.Errorf("create %d = %+v, %v; want the booked consignment", i, results[i], errs[i])
		}
	}
	items, _, err := e.svc.List(testContext(t), 0, "")
	if err != nil || len(items) != 1 {
		t.Errorf("stored %d consignments (%v), want 1", len(items), err)
	}
	if held, _, taken, released := e.booker.state(); taken != 1 || len(released) != 0 || len(held) != 1 {
		t.Errorf("room taken %d times, released %v, held %v; want one booking kept", taken, released, held)
	}
}

func TestCreateDoesNotKeepCallersSlice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	in := consignmenttest.Valid()
	in.ID = ""
	got := e.create(t, in)
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
	e := newEnv(t, nil)
	for i := range 5 {
		c := withID(fmt.Sprintf("c-%d", i))
		if i%2 == 1 {
			e.crashAfterBook(t, c) // pending: never listed
			continue
		}
		e.create(t, c)
	}
	tests := []struct {
		name      string
		limit     int
		token     string
		wantIDs   []string
		wantNext  bool
		wantField string
	}{
		{name: "no limit: a default page", limit: 0, wantIDs: []string{"c-0", "c-2", "c-4"}},
		{name: "first page", limit: 2, wantIDs: []string{"c-0", "c-2"}, wantNext: true},
		{name: "one page of all", limit: 3, wantIDs: []string{"c-0", "c-2", "c-4"}},
		{name: "negative limit", limit: -1, wantField: "limit"},
		{name: "bad token", limit: 1, token: "nope", wantField: "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, next, err := e.svc.List(testContext(t), tt.limit, tt.token)
			if tt.wantField != "" {
				var fe *consignment.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.wantField {
					t.Errorf("List() = %v, want a *FieldError on %q", err, tt.wantField)
				}
				return
			}
			var ids []string
			for _, c := range items {
				ids = append(ids, c.ID)
			}
			if err != nil || !slices.Equal(ids, tt.wantIDs) || (next != "") != tt.wantNext {
				t.Errorf("List() = %v, next %q, %v; want %v, next %v", ids, next, err, tt.wantIDs, tt.wantNext)
			}
		})
	}
}

// limitRepo records the limit of every List call it passes on.
type limitRepo struct {
	consignment.Repository
	mu     sync.Mutex
	limits []int
}

func (r *limitRepo) List(ctx context.Context, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	r.mu.Lock()
	r.limits = append(r.limits, limit)
	r.mu.Unlock()
	return r.Repository.List(ctx, limit, pageToken)
}

// TestListPageSize checks the page size the service asks the repository
// for (AIP-158): the default for no limit, the maximum for a larger one.
func TestListPageSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit, want int
	}{
		{0, consignment.DefaultPageSize},
		{1, 1},
		{consignment.MaxPageSize, consignment.MaxPageSize},
		{consignment.MaxPageSize + 1, consignment.MaxPageSize},
		{1 << 31, consignment.MaxPageSize},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			t.Parallel()
			repo := &limitRepo{Repository: memory.New()}
			svc := newService(t, repo, newBooker(), time.Now)
			if _, _, err := svc.List(testContext(t), tt.limit, ""); err != nil {
				t.Fatalf("List(%d) = %v", tt.limit, err)
			}
			if !slices.Equal(repo.limits, []int{tt.want}) {
				t.Errorf("List(%d) asked the repository for limits %v, want [%d]", tt.limit, repo.limits, tt.want)
			}
		})
	}
}
