package consignment_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/domain/consignment/consignmenttest"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/testenv"
)

// clock is a settable time source, shared by the service and the fake
// vessel service.
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

// start is the clock's time when a test begins.
var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// booking is a booking the fake vessel service keeps.
type booking struct {
	containers, weight int32
	held               bool
	until              time.Time // when its hold runs out
}

// fakeBooker books every consignment onto one vessel, as the vessel
// service's BookBatch does, by the clock: once per id, held for
// LeaseDuration, renewed by a Book before the hold runs out, UNAVAILABLE
// after; Confirm ends holds; ReleaseExpiredHold releases only a hold that
// ran out. Its failures and hooks are set with configure.
type fakeBooker struct {
	mu    sync.Mutex
	clock *clock
	// bookErr, when set, fails Book. With takeRoom, Book takes the room
	// first, as a vessel service whose answer was lost would.
	bookErr  error
	takeRoom bool
	// The other calls fail with these, when set.
	confirmErr, listErr, releaseExpiredErr, releaseErr error
	// afterBook, when set, runs once, after a Book took room and before it
	// returns: the time when a create can stall or crash.
	afterBook func(id string)
	// afterList, when set, runs once after ExpiredHolds has listed.
	afterList func()

	bookings map[string]*booking
	books    int      // Book calls
	taken    int      // times room was taken
	confirms int      // Confirm calls
	released []string // ids whose room was given back, in order
}

func newBooker(c *clock) *fakeBooker {
	return &fakeBooker{clock: c, bookings: make(map[string]*booking)}
}

func (b *fakeBooker) Book(_ context.Context, id string, containers, weight int32) (string, error) {
	b.mu.Lock()
	b.books++
	if b.bookErr != nil && !b.takeRoom {
		defer b.mu.Unlock()
		return "", b.bookErr
	}
	now := b.clock.Now()
	switch bk, ok := b.bookings[id]; {
	case !ok:
		b.bookings[id] = &booking{containers: containers, weight: weight, held: true, until: now.Add(consignment.LeaseDuration)}
		b.taken++
	case bk.containers != containers || bk.weight != weight:
		b.mu.Unlock()
		return "", fmt.Errorf("vessel service: %w", consignment.ErrConflict)
	case bk.held && !bk.until.After(now):
		b.mu.Unlock()
		return "", fmt.Errorf("vessel service: %w: hold expired, being settled", consignment.ErrUnavailable)
	case bk.held:
		bk.until = later(bk.until, now.Add(consignment.LeaseDuration))
	}
	hook, err := b.afterBook, b.bookErr
	b.afterBook = nil
	b.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	if err != nil {
		return "", err
	}
	return "vessel001", nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (b *fakeBooker) Confirm(_ context.Context, ids []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.confirms++
	if b.confirmErr != nil {
		return b.confirmErr
	}
	for _, id := range ids {
		if bk, ok := b.bookings[id]; ok {
			bk.held = false
		}
	}
	return nil
}

func (b *fakeBooker) ExpiredHolds(_ context.Context, limit int) ([]string, error) {
	b.mu.Lock()
	if b.listErr != nil {
		defer b.mu.Unlock()
		return nil, b.listErr
	}
	var ids []string
	for id, bk := range b.bookings {
		if bk.held && !bk.until.After(b.clock.Now()) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = ids[:min(len(ids), limit)]
	hook := b.afterList
	b.afterList = nil
	b.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ids, nil
}

func (b *fakeBooker) ReleaseExpiredHold(_ context.Context, id string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.releaseExpiredErr != nil {
		return false, b.releaseExpiredErr
	}
	bk, ok := b.bookings[id]
	if !ok || !bk.held || bk.until.After(b.clock.Now()) {
		return false, nil
	}
	delete(b.bookings, id)
	b.released = append(b.released, id)
	return true, nil
}

func (b *fakeBooker) Release(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.releaseErr != nil {
		return b.releaseErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	delete(b.bookings, id)
	b.released = append(b.released, id)
	return nil
}

// configure changes the booker's failures and hooks.
func (b *fakeBooker) configure(change func(*fakeBooker)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change(b)
}

// hold seeds a booking of c, held until the clock's time plus d (a
// negative d: run out).
func (b *fakeBooker) hold(c consignment.Consignment, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bookings[c.ID] = &booking{containers: int32(len(c.Containers)), weight: c.Weight, held: true, until: b.clock.Now().Add(d)}
	b.taken++
}

// vessel is what the fake vessel service holds and counts.
type vessel struct {
	held, confirmed []string // ids booked, held or not, in id order
	books, taken    int
	released        []string
}

func (b *fakeBooker) state() vessel {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := vessel{books: b.books, taken: b.taken, released: slices.Clone(b.released)}
	for id, bk := range b.bookings {
		if bk.held {
			v.held = append(v.held, id)
		} else {
			v.confirmed = append(v.confirmed, id)
		}
	}
	slices.Sort(v.held)
	slices.Sort(v.confirmed)
	return v
}

// faultyRepo is a memory repository whose next Create fails with
// createErr, or runs duringCreate first (a store that stalls), whose Gets
// fail with getErr, and whose next Cancel runs afterCancel once it has
// cancelled, when set.
type faultyRepo struct {
	consignment.Repository
	mu           sync.Mutex
	createErr    error
	duringCreate func(ctx context.Context) error
	getErr       error
	afterCancel  func()
}

func (r *faultyRepo) configure(change func(*faultyRepo)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(r)
}

func (r *faultyRepo) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	r.mu.Lock()
	err, during := r.createErr, r.duringCreate
	r.createErr, r.duringCreate = nil, nil
	r.mu.Unlock()
	if during != nil {
		if err := during(ctx); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return r.Repository.Create(ctx, c, events...)
}

func (r *faultyRepo) Get(ctx context.Context, id string) (consignment.Consignment, error) {
	r.mu.Lock()
	err := r.getErr
	r.mu.Unlock()
	if err != nil {
		return consignment.Consignment{}, err
	}
	return r.Repository.Get(ctx, id)
}

func (r *faultyRepo) Cancel(ctx context.Context, id, owner string) (consignment.Consignment, error) {
	c, err := r.Repository.Cancel(ctx, id, owner)
	r.mu.Lock()
	after := r.afterCancel
	r.afterCancel = nil
	r.mu.Unlock()
	if after != nil {
		after()
	}
	return c, err
}

// fakeAnnouncer announces a booking with the event "event-<id>-<n>",
// where n counts the events of the id, whose data is the vessel id; it
// fails with err when set.
type fakeAnnouncer struct {
	mu  sync.Mutex
	n   map[string]int
	err error
}

func (a *fakeAnnouncer) Booked(c consignment.Consignment) (outbox.Message, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return outbox.Message{}, a.err
	}
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[c.ID]++
	return outbox.Message{ID: fmt.Sprintf("event-%s-%d", c.ID, a.n[c.ID]), Subject: "shippy.test.booked", Data: []byte(c.VesselID), CreatedAt: c.CreatedAt}, nil
}

func (a *fakeAnnouncer) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

// env is one Service over a memory repository (behind faultyRepo), a fake
// vessel service, a fake announcer and a clock.
type env struct {
	svc      *consignment.Service
	repo     *faultyRepo
	mem      *memory.Store // the repository behind repo, with its outbox
	booker   *fakeBooker
	announce *fakeAnnouncer
	clock    *clock
	logs     *testenv.SyncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := &clock{t: start}
	mem := memory.New()
	e := &env{repo: &faultyRepo{Repository: mem}, mem: mem, booker: newBooker(c), announce: &fakeAnnouncer{}, clock: c, logs: &testenv.SyncBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	var err error
	e.svc, err = consignment.NewService(e.repo, e.booker, e.announce, func() string { return "generated" }, c.Now, logger)
	if err != nil {
		t.Fatalf("NewService() = %v", err)
	}
	t.Cleanup(func() { e.svc.Close(context.Background()) })
	return e
}

// testContext returns a context that ends after 5 seconds, so that a
// create waiting for something by mistake fails its test instead of
// hanging it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// get returns the stored consignment with the id, or the zero Consignment
// when there is none.
func (e *env) get(t *testing.T, id string) consignment.Consignment {
	t.Helper()
	c, err := e.repo.Repository.Get(testContext(t), id)
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

// createFails creates c and checks that the create fails with want.
func (e *env) createFails(t *testing.T, c consignment.Consignment, want error) {
	t.Helper()
	if got, err := e.svc.Create(testContext(t), c); !errors.Is(err, want) {
		t.Fatalf("Create(%q) = %+v, %v; want %v", c.ID, got, err, want)
	}
}

// recoverWants runs Recover and checks what it settled.
func (e *env) recoverWants(t *testing.T, want consignment.Recovery) {
	t.Helper()
	got, err := e.svc.Recover(testContext(t))
	if err != nil || got != want {
		t.Errorf("Recover() = %+v, %v; want %+v, nil", got, err, want)
	}
}

// waitConfirmed waits until the booking of each id is confirmed.
func (e *env) waitConfirmed(t *testing.T, ids ...string) {
	t.Helper()
	testenv.WaitFor(t, fmt.Sprintf("bookings of %v confirmed", ids), func() bool {
		v := e.booker.state()
		for _, id := range ids {
			if !slices.Contains(v.confirmed, id) {
				return false
			}
		}
		return true
	})
}

// wantBookedOnce checks that the consignment with the id, retried after a
// failure, ends with its hold confirmed, its room taken once and never
// released, and nothing left for a recovery an hour later.
func (e *env) wantBookedOnce(t *testing.T, id string) {
	t.Helper()
	e.waitConfirmed(t, id)
	if v := e.booker.state(); v.taken != 1 || len(v.released) != 0 {
		t.Errorf("room taken %d times, released %v; want taken once and kept", v.taken, v.released)
	}
	e.clock.Advance(time.Hour)
	e.recoverWants(t, consignment.Recovery{})
}

// waitConfirmCalls waits until the vessel service has been asked n times
// to confirm bookings, whatever it answered: the confirmation queue sends
// in the background.
func (e *env) waitConfirmCalls(t *testing.T, n int) {
	t.Helper()
	testenv.WaitFor(t, fmt.Sprintf("%d Confirm calls", n), func() bool {
		e.booker.mu.Lock()
		defer e.booker.mu.Unlock()
		return e.booker.confirms >= n
	})
}

// storePending stores c pending, leased until the clock's time plus d, as
// a create of the earlier release left it.
func (e *env) storePending(t *testing.T, c consignment.Consignment, d time.Duration) {
	t.Helper()
	c.Status, c.CreatedAt = consignment.StatusPending, e.clock.Now()
	c.Lease = consignment.Lease{Owner: "old-release", Until: e.clock.Now().Add(d)}
	if err := e.repo.Repository.Create(testContext(t), c); err != nil {
		t.Fatalf("store pending %q: %v", c.ID, err)
	}
}

// storeBooked stores c booked, as a create that stopped before its
// confirmation left it.
func (e *env) storeBooked(t *testing.T, c consignment.Consignment) {
	t.Helper()
	c.Status, c.VesselID, c.CreatedAt = consignment.StatusBooked, "vessel001", e.clock.Now()
	if err := e.repo.Repository.Create(testContext(t), c); err != nil {
		t.Fatalf("store booked %q: %v", c.ID, err)
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

var errDisk = errors.New("disk on fire")

func TestNewServiceChecksDependencies(t *testing.T) {
	t.Parallel()
	repo, booker, newID, now, logger := memory.New(), newBooker(&clock{}), func() string { return "x" }, time.Now, slog.New(slog.DiscardHandler)
	announce := &fakeAnnouncer{}
	tests := []struct {
		name     string
		repo     consignment.Repository
		booker   consignment.Booker
		announce consignment.Announcer
		newID    func() string
		now      func() time.Time
		logger   *slog.Logger
		wantErr  bool
	}{
		{name: "all set", repo: repo, booker: booker, announce: announce, newID: newID, now: now, logger: logger},
		{name: "no repository", booker: booker, announce: announce, newID: newID, now: now, logger: logger, wantErr: true},
		{name: "no booker", repo: repo, announce: announce, newID: newID, now: now, logger: logger, wantErr: true},
		{name: "no announcer", repo: repo, booker: booker, newID: newID, now: now, logger: logger, wantErr: true},
		{name: "no id generator", repo: repo, booker: booker, announce: announce, now: now, logger: logger, wantErr: true},
		{name: "no clock", repo: repo, booker: booker, announce: announce, newID: newID, logger: logger, wantErr: true},
		{name: "no logger", repo: repo, booker: booker, announce: announce, newID: newID, now: now, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, err := consignment.NewService(tt.repo, tt.booker, tt.announce, tt.newID, tt.now, tt.logger)
			if gotErr := err != nil; gotErr != tt.wantErr || (svc == nil) != tt.wantErr {
				t.Errorf("NewService() = %v, %v; want error %v", svc, err, tt.wantErr)
			}
		})
	}
}

func TestCreateBooksStoresAndConfirms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
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
	e.waitConfirmed(t, "c-1")

	// A retry returns the stored consignment and asks the vessel service
	// nothing.
	e.clock.Advance(time.Hour)
	again, err := e.svc.Create(testContext(t), consignmenttest.Valid())
	if err != nil || !cmp.Equal(again, want) {
		t.Errorf("retried Create() = %+v, %v; want %+v", again, err, want)
	}
	if v := e.booker.state(); v.books != 1 || !slices.Equal(v.confirmed, []string{"c-1"}) || len(v.held) != 0 {
		t.Errorf("Book called %d times, confirmed %v, held %v; want 1 call, c-1 confirmed", v.books, v.confirmed, v.held)
	}
	e.recoverWants(t, consignment.Recovery{})
	// One event, of the stored consignment, the retry's included.
	wantEvents := []outbox.Message{{ID: "event-c-1-1", Subject: "shippy.test.booked", Data: []byte(want.VesselID), CreatedAt: want.CreatedAt}}
	if diff := cmp.Diff(wantEvents, e.events(t)); diff != "" {
		t.Errorf("events stored (-want +got):\n%s", diff)
	}
}

// events returns the events in the outbox of e's repository.
func (e *env) events(t *testing.T) []outbox.Message {
	t.Helper()
	got, err := e.mem.Pending(testContext(t), 100)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return got
}

// TestCreateEventOnlyWhenStored: a create whose event cannot be made, or
// whose store fails, stores neither the consignment nor an event; the
// retry that stores it stores one event.
func TestCreateEventOnlyWhenStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	errAnnounce := errors.New("cannot announce")
	e.announce.fail(errAnnounce)
	e.createFails(t, consignmenttest.Valid(), errAnnounce)
	e.announce.fail(nil)
	e.repo.configure(func(r *faultyRepo) { r.createErr = errDisk })
	e.createFails(t, consignmenttest.Valid(), errDisk)
	if got := e.events(t); len(got) != 0 {
		t.Errorf("events after failed creates: %v, want none", got)
	}
	e.create(t, consignmenttest.Valid())
	if got := e.events(t); len(got) != 1 || got[0].ID != "event-c-1-2" {
		t.Errorf("events after the create = %+v, want one, the create's", got)
	}
}

// TestCreateOwner: Create stores the owner it is given, and the same
// request of another owner, or of none, is a conflict that books nothing.
func TestCreateOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := consignmenttest.Valid()
	in.Owner = "user-a"
	if got := e.create(t, in); got.Owner != "user-a" {
		t.Errorf("Create().Owner = %q, want \"user-a\"", got.Owner)
	}
	if got := e.get(t, in.ID); got.Owner != "user-a" {
		t.Errorf("stored Owner = %q, want \"user-a\"", got.Owner)
	}
	for _, owner := range []string{"user-b", ""} {
		other := in
		other.Owner = owner
		e.createFails(t, other, consignment.ErrConflict)
	}
	if v := e.booker.state(); v.books != 1 {
		t.Errorf("Book called %d times, want 1: a conflict books nothing", v.books)
	}
}

func TestCreateConflict(t *testing.T) {
	t.Parallel()
	different := consignmenttest.Valid()
	different.Description = "someone else's"
	tests := []struct {
		name      string
		prepare   func(t *testing.T, e *env)
		wantBooks int
	}{
		{name: "booked", prepare: func(t *testing.T, e *env) { e.create(t, consignmenttest.Valid()) }, wantBooks: 1},
		{name: "pending, of an earlier release", prepare: func(t *testing.T, e *env) {
			e.storePending(t, consignmenttest.Valid(), consignment.LeaseDuration)
		}},
		{name: "pending, lease run out", prepare: func(t *testing.T, e *env) {
			e.storePending(t, consignmenttest.Valid(), -time.Second)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tt.prepare(t, e)
			before := e.get(t, "c-1")
			e.createFails(t, different, consignment.ErrConflict)
			if v := e.booker.state(); v.books != tt.wantBooks {
				t.Errorf("Book called %d times, want %d: a conflict books nothing", v.books, tt.wantBooks)
			}
			if diff := cmp.Diff(before, e.get(t, "c-1")); diff != "" {
				t.Errorf("a conflict changed the stored consignment (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateLegacyPending: a consignment an earlier release left pending
// answers ErrUnavailable, booking nothing, until Recover has released and
// deleted it once its lease ran out; then a create books it afresh.
func TestCreateLegacyPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.storePending(t, consignmenttest.Valid(), consignment.LeaseDuration)
	e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
	e.recoverWants(t, consignment.Recovery{})
	e.clock.Advance(consignment.LeaseDuration)
	e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
	if v := e.booker.state(); v.books != 0 {
		t.Errorf("Book called %d times for a pending consignment, want 0", v.books)
	}
	e.recoverWants(t, consignment.Recovery{Deleted: 1})
	if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1"}) {
		t.Errorf("released %v, want c-1", v.released)
	}
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 still stored as %s after Recover", got.Status)
	}
	e.clock.Advance(-consignment.LeaseDuration) // for booked()'s CreatedAt
	if got := e.create(t, consignmenttest.Valid()); !cmp.Equal(got, booked("c-1")) {
		t.Errorf("Create() after the recovery = %+v, want it booked", got)
	}
}

// TestCreateRefusedBookingStoresNothing: a booking the vessel service
// refused took no room, so nothing is stored, nothing is held, and the id
// stays free.
func TestCreateRefusedBookingStoresNothing(t *testing.T) {
	t.Parallel()
	otherSizes := consignmenttest.Valid()
	otherSizes.Weight = 1
	tests := []struct {
		name    string
		prepare func(e *env)
		wantErr error
		wantOn  []string // held after the refusal
	}{
		{name: "no room", prepare: func(e *env) {
			e.booker.configure(func(b *fakeBooker) { b.bookErr = fmt.Errorf("vessel service: %w", consignment.ErrNoRoom) })
		}, wantErr: consignment.ErrNoRoom},
		{name: "invalid, as the vessel service saw it", prepare: func(e *env) {
			e.booker.configure(func(b *fakeBooker) { b.bookErr = errors.New("vessel service: 400 containers: must be positive") })
		}},
		{name: "held with other sizes", prepare: func(e *env) { e.booker.hold(otherSizes, consignment.LeaseDuration) },
			wantErr: consignment.ErrConflict, wantOn: []string{"c-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tt.prepare(e)
			_, err := e.svc.Create(testContext(t), consignmenttest.Valid())
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Create() = %v, want an error (%v)", err, tt.wantErr)
			}
			if got := e.get(t, "c-1"); got.ID != "" {
				t.Errorf("after a refused booking %q is stored as %s, want nothing stored", got.ID, got.Status)
			}
			if v := e.booker.state(); !slices.Equal(v.held, tt.wantOn) || v.taken != len(tt.wantOn) {
				t.Errorf("held %v, room taken %d times; want %v", v.held, v.taken, tt.wantOn)
			}
			if len(tt.wantOn) > 0 {
				return
			}
			// The id is free: a create with other contents is no conflict.
			e.booker.configure(func(b *fakeBooker) { b.bookErr = nil })
			if got, err := e.svc.Create(testContext(t), otherSizes); err != nil || got.Weight != 1 {
				t.Errorf("Create(same id, other contents) after the refusal = %+v, %v; want it booked", got, err)
			}
		})
	}
}

// TestCreateUnknownOutcomeThenRecover covers a Book whose outcome the
// service cannot know: the vessel service held the room but its answer
// was lost. Nothing is stored; Recover releases the hold once it has run
// out.
func TestCreateUnknownOutcomeThenRecover(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := newEnv(t)
	e.booker.configure(func(b *fakeBooker) { b.bookErr, b.takeRoom = consignment.ErrUnavailable, true })
	e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 is stored as %s, want nothing stored", got.Status)
	}
	if items, _, err := e.svc.List(ctx, "", 0, ""); err != nil || len(items) != 0 {
		t.Errorf("List() = %d items, %v; want none", len(items), err)
	}

	e.recoverWants(t, consignment.Recovery{})
	e.clock.Advance(consignment.LeaseDuration - time.Millisecond)
	e.recoverWants(t, consignment.Recovery{})
	e.clock.Advance(time.Millisecond)
	e.recoverWants(t, consignment.Recovery{Released: 1})
	if v := e.booker.state(); len(v.held)+len(v.confirmed) != 0 || !slices.Equal(v.released, []string{"c-1"}) {
		t.Errorf("held %v, confirmed %v, released %v; want c-1 released", v.held, v.confirmed, v.released)
	}
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 is stored as %s after Recover", got.Status)
	}
}

// TestCreateRetryAfterUnknownOutcome: a retry of a create that failed
// without knowing whether its room was held books the room once, renewing
// the hold, and stores the consignment.
func TestCreateRetryAfterUnknownOutcome(t *testing.T) {
	t.Parallel()
	for _, tookRoom := range []bool{false, true} {
		t.Run(fmt.Sprintf("room taken %v", tookRoom), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.booker.configure(func(b *fakeBooker) { b.bookErr, b.takeRoom = consignment.ErrUnavailable, tookRoom })
			e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
			e.booker.configure(func(b *fakeBooker) { b.bookErr = nil })
			if got := e.create(t, consignmenttest.Valid()); !cmp.Equal(got, booked("c-1")) {
				t.Errorf("retry = %+v, want it booked", got)
			}
			e.wantBookedOnce(t, "c-1")
		})
	}
}

// TestCreateRetryAfterStoreFailure: the room is held, the store fails; a
// retry renews the hold, books nothing more and stores the consignment.
func TestCreateRetryAfterStoreFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.repo.configure(func(r *faultyRepo) { r.createErr = errDisk })
	e.createFails(t, consignmenttest.Valid(), errDisk)
	if v := e.booker.state(); !slices.Equal(v.held, []string{"c-1"}) {
		t.Fatalf("held %v after the store failed, want c-1", v.held)
	}
	e.clock.Advance(consignment.LeaseDuration / 2)
	got := e.create(t, consignmenttest.Valid())
	if want := booked("c-1"); got.Status != want.Status || got.VesselID != want.VesselID {
		t.Errorf("retry = %+v, want it booked", got)
	}
	e.wantBookedOnce(t, "c-1")
}

// TestCreateStoreFailureKeepsNoRoom: a create whose store fails, and which
// nobody retries, keeps its room only until the hold runs out: Recover
// then releases it.
func TestCreateStoreFailureKeepsNoRoom(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.repo.configure(func(r *faultyRepo) { r.createErr = errDisk })
	e.createFails(t, consignmenttest.Valid(), errDisk)
	e.recoverWants(t, consignment.Recovery{})
	e.clock.Advance(consignment.LeaseDuration)
	e.recoverWants(t, consignment.Recovery{Released: 1})
	if v := e.booker.state(); len(v.held)+len(v.confirmed) != 0 {
		t.Errorf("held %v, confirmed %v after Recover; want nothing", v.held, v.confirmed)
	}
}

// TestCreateRetryAfterHoldRanOut: a retry that comes after the hold of a
// failed create ran out gets ErrUnavailable, storing nothing, until
// Recover has released the hold; then it books afresh.
func TestCreateRetryAfterHoldRanOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.repo.configure(func(r *faultyRepo) { r.createErr = errDisk })
	e.createFails(t, consignmenttest.Valid(), errDisk)
	e.clock.Advance(consignment.LeaseDuration)
	e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 stored as %s by a retry after its hold ran out", got.Status)
	}
	e.recoverWants(t, consignment.Recovery{Released: 1})
	got := e.create(t, consignmenttest.Valid())
	if got.Status != consignment.StatusBooked {
		t.Errorf("Create() after the recovery = %+v, want it booked", got)
	}
	e.waitConfirmed(t, "c-1")
	if v := e.booker.state(); v.taken != 2 || !slices.Equal(v.released, []string{"c-1"}) {
		t.Errorf("room taken %d times, released %v; want taken, released, taken again", v.taken, v.released)
	}
}

// TestRetryRenewingHoldBeatsRecovery: a retry just before the hold runs
// out renews it and stores the consignment; Recover, at the time the
// first hold would have run out, finds nothing to release.
func TestRetryRenewingHoldBeatsRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.booker.configure(func(b *fakeBooker) { b.bookErr, b.takeRoom = consignment.ErrUnavailable, true })
	e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
	e.booker.configure(func(b *fakeBooker) { b.bookErr, b.confirmErr = nil, errors.New("confirmation lost") })
	e.clock.Advance(consignment.LeaseDuration - time.Second)
	e.create(t, consignmenttest.Valid())
	e.waitConfirmCalls(t, 1) // the confirmation is lost
	e.clock.Advance(2 * time.Second)
	e.recoverWants(t, consignment.Recovery{})
	if v := e.booker.state(); !slices.Equal(v.held, []string{"c-1"}) || len(v.released) != 0 {
		t.Errorf("held %v, released %v; want c-1 still held, nothing released", v.held, v.released)
	}
	// The confirmation was lost: once the renewed hold runs out, Recover
	// finds the consignment stored and confirms it.
	e.booker.configure(func(b *fakeBooker) { b.confirmErr = nil })
	e.clock.Advance(consignment.LeaseDuration)
	e.recoverWants(t, consignment.Recovery{Confirmed: 1})
	if v := e.booker.state(); !slices.Equal(v.confirmed, []string{"c-1"}) || v.taken != 1 {
		t.Errorf("confirmed %v, room taken %d times; want c-1 confirmed, taken once", v.confirmed, v.taken)
	}
}

// TestRecoverExcludesRetry: a retry that runs between Recover's listing of
// an expired hold and its release neither renews the hold nor stores the
// consignment, so the release takes no room a stored consignment holds.
func TestRecoverExcludesRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.repo.configure(func(r *faultyRepo) { r.createErr = errDisk })
	e.createFails(t, consignmenttest.Valid(), errDisk)
	e.clock.Advance(consignment.LeaseDuration)
	var retryErr error
	e.booker.configure(func(b *fakeBooker) {
		b.afterList = func() { _, retryErr = e.svc.Create(testContext(t), consignmenttest.Valid()) }
	})
	e.recoverWants(t, consignment.Recovery{Released: 1})
	if !errors.Is(retryErr, consignment.ErrUnavailable) {
		t.Errorf("retry during the recovery = %v, want ErrUnavailable", retryErr)
	}
	if got := e.get(t, "c-1"); got.ID != "" {
		t.Errorf("c-1 stored as %s by the retry during the recovery", got.Status)
	}
	if got := e.create(t, consignmenttest.Valid()); got.Status != consignment.StatusBooked {
		t.Errorf("retry after the recovery = %+v, want it booked", got)
	}
}

// TestCreateStallsPastDeadline: a create that gets its booking, or would
// store it, after half the hold has passed since it asked for the booking
// stores nothing, so that Recover, which acts once the hold has run out,
// never releases the room of a stored consignment.
func TestCreateStallsPastDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(e *env)
	}{
		{name: "the booking answers late", prepare: func(e *env) {
			e.booker.configure(func(b *fakeBooker) {
				b.afterBook = func(string) { e.clock.Advance(consignment.LeaseDuration / 2) }
			})
		}},
		{name: "the store stalls past the deadline", prepare: func(e *env) {
			e.booker.configure(func(b *fakeBooker) {
				b.afterBook = func(string) { e.clock.Advance(consignment.LeaseDuration/2 - 20*time.Millisecond) }
			})
			e.repo.configure(func(r *faultyRepo) {
				r.duringCreate = func(ctx context.Context) error {
					if _, ok := ctx.Deadline(); !ok {
						return errors.New("store called without a deadline")
					}
					select { // a commit that waits, as in a slow group commit
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(2 * time.Second):
						return errors.New("the store's context did not end by the deadline")
					}
				}
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tt.prepare(e)
			began := time.Now()
			e.createFails(t, consignmenttest.Valid(), consignment.ErrUnavailable)
			if d := time.Since(began); d > 3*time.Second {
				t.Errorf("the stalled create took %v", d)
			}
			if got := e.get(t, "c-1"); got.ID != "" {
				t.Errorf("c-1 stored as %s by a create past its deadline", got.Status)
			}
			e.clock.Advance(consignment.LeaseDuration)
			e.recoverWants(t, consignment.Recovery{Released: 1})
			if v := e.booker.state(); len(v.held)+len(v.confirmed) != 0 {
				t.Errorf("held %v, confirmed %v after Recover; want nothing", v.held, v.confirmed)
			}
		})
	}
}

// TestCreateStoresWhenCallerLeaves: a caller that goes once the room is
// held does not stop the store, so that a retry finds the consignment.
func TestCreateStoresWhenCallerLeaves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(testContext(t))
	e.booker.configure(func(b *fakeBooker) { b.afterBook = func(string) { cancel() } })
	if _, err := e.svc.Create(ctx, consignmenttest.Valid()); err != nil {
		t.Errorf("Create() = %v, want it booked", err)
	}
	if got := e.get(t, "c-1"); got.Status != consignment.StatusBooked {
		t.Errorf("c-1 is %q, want booked", got.Status)
	}
	e.waitConfirmed(t, "c-1")
}

func TestCreateConcurrentRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
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
	items, _, err := e.svc.List(testContext(t), "", 0, "")
	if err != nil || len(items) != 1 {
		t.Errorf("stored %d consignments (%v), want 1", len(items), err)
	}
	e.waitConfirmed(t, "c-1")
	if v := e.booker.state(); v.taken != 1 || len(v.released) != 0 {
		t.Errorf("room taken %d times, released %v; want one booking kept", v.taken, v.released)
	}
}

// TestCreateConcurrentDifferentContents: of concurrent creates of one id
// with different contents (the same sizes, so the vessel service books
// both on one booking), one is stored, the others get ErrConflict.
func TestCreateConcurrentDifferentContents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := consignmenttest.Valid()
			c.Description = fmt.Sprint("attempt ", i)
			_, errs[i] = e.svc.Create(testContext(t), c)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, consignment.ErrConflict):
			t.Errorf("create %d = %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates succeeded, want 1", won)
	}
	if v := e.booker.state(); v.taken != 1 {
		t.Errorf("room taken %d times, want once", v.taken)
	}
}

// TestRecover: expired holds are confirmed when their consignment is
// stored and released when it is not; holds still running are left
// alone; pending consignments of an earlier release whose lease ran out
// are released and deleted.
func TestRecover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, withID("booked"))
	e.waitConfirmed(t, "booked")
	// Stored, then the process stopped before its confirmation went out.
	e.storeBooked(t, withID("stored-unconfirmed"))
	e.booker.hold(withID("stored-unconfirmed"), -time.Second)
	// Held, then the process stopped before storing it.
	e.booker.hold(withID("unstored"), -time.Millisecond)
	e.booker.hold(withID("unstored-running"), time.Millisecond)
	e.storePending(t, withID("legacy"), 0)
	e.storePending(t, withID("legacy-running"), time.Millisecond)

	e.recoverWants(t, consignment.Recovery{Confirmed: 1, Released: 1, Deleted: 1})
	v := e.booker.state()
	if diff := cmp.Diff([]string{"booked", "stored-unconfirmed"}, v.confirmed); diff != "" {
		t.Errorf("confirmed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"unstored-running"}, v.held); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"unstored", "legacy"}, v.released); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	for id, want := range map[string]consignment.Status{
		"booked": consignment.StatusBooked, "stored-unconfirmed": consignment.StatusBooked,
		"unstored": "", "legacy": "", "legacy-running": consignment.StatusPending,
	} {
		if got := e.get(t, id).Status; got != want {
			t.Errorf("after Recover %q is %q, want %q", id, got, want)
		}
	}
	// A second round finds nothing more.
	e.recoverWants(t, consignment.Recovery{})
}

// TestRecoverInstancesSettlePendingOnce: instances sharing a store that
// recover at once release each pending consignment of an earlier release
// once. (A release repeated after the consignment is deleted could take
// the room of a new create of its id.)
func TestRecoverInstancesSettlePendingOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("legacy-%02d", i)
		ids = append(ids, id)
		e.storePending(t, withID(id), 0)
	}
	other, err := consignment.NewService(e.repo, e.booker, e.announce, func() string { return "generated" }, e.clock.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var deleted atomic.Int64
	var wg sync.WaitGroup
	for _, svc := range []*consignment.Service{e.svc, other, e.svc, other} {
		wg.Go(func() {
			r, err := svc.Recover(testContext(t))
			if err != nil {
				t.Errorf("Recover() = %v", err)
			}
			deleted.Add(int64(r.Deleted))
		})
	}
	wg.Wait()
	released := e.booker.state().released
	slices.Sort(released)
	if diff := cmp.Diff(ids, released); diff != "" || deleted.Load() != 20 {
		t.Errorf("%d deleted; released (-want each once +got):\n%s", deleted.Load(), diff)
	}
}

// TestRecoverStopsAtError: a round that fails stops, and the next one
// settles everything, each booking once.
func TestRecoverStopsAtError(t *testing.T) {
	t.Parallel()
	unavailable := fmt.Errorf("vessel service: %w", consignment.ErrUnavailable)
	tests := []struct {
		name  string
		fail  func(e *env, err error)
		first consignment.Recovery // what the failing round settled
	}{
		{name: "listing expired holds", fail: func(e *env, err error) {
			e.booker.configure(func(b *fakeBooker) { b.listErr = err })
		}},
		{name: "getting a consignment", fail: func(e *env, err error) {
			e.repo.configure(func(r *faultyRepo) { r.getErr = err })
		}},
		{name: "releasing an expired hold", fail: func(e *env, err error) {
			e.booker.configure(func(b *fakeBooker) { b.releaseExpiredErr = err })
		}},
		{name: "confirming", fail: func(e *env, err error) {
			e.booker.configure(func(b *fakeBooker) { b.confirmErr = err })
		}, first: consignment.Recovery{Released: 1}},
		{name: "releasing a pending consignment", fail: func(e *env, err error) {
			e.booker.configure(func(b *fakeBooker) { b.releaseErr = err })
		}, first: consignment.Recovery{Released: 1, Confirmed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.storeBooked(t, withID("stored"))
			e.booker.hold(withID("stored"), -time.Second)
			e.booker.hold(withID("unstored"), -time.Second)
			e.storePending(t, withID("legacy"), 0)

			tt.fail(e, unavailable)
			got, err := e.svc.Recover(testContext(t))
			if !errors.Is(err, consignment.ErrUnavailable) || got != tt.first {
				t.Errorf("failing Recover() = %+v, %v; want %+v, ErrUnavailable", got, err, tt.first)
			}
			tt.fail(e, nil)
			want := consignment.Recovery{Confirmed: 1, Released: 1, Deleted: 1}
			want.Confirmed -= tt.first.Confirmed
			want.Released -= tt.first.Released
			e.recoverWants(t, want)
			v := e.booker.state()
			if !slices.Equal(v.confirmed, []string{"stored"}) || len(v.held) != 0 || !slices.Equal(v.released, []string{"unstored", "legacy"}) {
				t.Errorf("confirmed %v, held %v, released %v; want stored confirmed, unstored then legacy released", v.confirmed, v.held, v.released)
			}
			if got := e.get(t, "legacy"); got.ID != "" {
				t.Errorf("legacy still stored as %s", got.Status)
			}
		})
	}
}

// TestCloseSendsConfirmations: Close sends the confirmations still
// queued; a create after Close leaves its confirmation to Recover, and a
// confirmation that fails is logged and left to Recover too.
func TestCloseSendsConfirmations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 3 {
		e.create(t, withID(fmt.Sprint("c-", i)))
	}
	if err := e.svc.Close(testContext(t)); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if v := e.booker.state(); len(v.confirmed) != 3 || len(v.held) != 0 {
		t.Errorf("after Close: confirmed %v, held %v; want all 3 confirmed", v.confirmed, v.held)
	}
	e.create(t, withID("after-close"))
	e.clock.Advance(consignment.LeaseDuration)
	e.recoverWants(t, consignment.Recovery{Confirmed: 1})

	f := newEnv(t)
	f.booker.configure(func(b *fakeBooker) { b.confirmErr = errors.New("vessel service: 500 boom") })
	f.create(t, consignmenttest.Valid())
	if err := f.svc.Close(testContext(t)); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if !strings.Contains(f.logs.String(), "recovery confirms them later") {
		t.Errorf("the failed confirmation was not logged; log:\n%s", f.logs)
	}
	f.booker.configure(func(b *fakeBooker) { b.confirmErr = nil })
	f.clock.Advance(consignment.LeaseDuration)
	f.recoverWants(t, consignment.Recovery{Confirmed: 1})
}

func TestCreateDoesNotKeepCallersSlice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
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
	e := newEnv(t)
	for i := range 6 {
		c := withID(fmt.Sprintf("c-%d", i))
		if i%3 != 1 {
			c.Owner = "user-a"
		}
		if i%2 == 1 {
			e.storePending(t, c, time.Minute) // never listed
			continue
		}
		e.create(t, c)
	}
	// Booked: c-0 (user-a), c-2 (user-a), c-4 (no owner).
	_, ownerToken, err := e.svc.List(testContext(t), "user-a", 1, "")
	if err != nil || ownerToken == "" {
		t.Fatalf("List(user-a, 1) = next %q, %v; want a next page", ownerToken, err)
	}
	tests := []struct {
		name      string
		owner     string
		limit     int
		token     string
		wantIDs   []string
		wantNext  bool
		wantField string
	}{
		{name: "no limit: a default page", limit: 0, wantIDs: []string{"c-0", "c-2", "c-4"}},
		{name: "first page", limit: 2, wantIDs: []string{"c-0", "c-2"}, wantNext: true},
		{name: "one page of all", limit: 3, wantIDs: []string{"c-0", "c-2", "c-4"}},
		{name: "an owner's", owner: "user-a", limit: 0, wantIDs: []string{"c-0", "c-2"}},
		{name: "an owner's second page", owner: "user-a", limit: 1, token: ownerToken, wantIDs: []string{"c-2"}},
		{name: "an owner with none", owner: "user-b", limit: 0},
		{name: "negative limit", limit: -1, wantField: "limit"},
		{name: "bad token", limit: 1, token: "nope", wantField: "page_token"},
		{name: "another owner's token", owner: "user-b", limit: 1, token: ownerToken, wantField: "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, next, err := e.svc.List(testContext(t), tt.owner, tt.limit, tt.token)
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

func (r *limitRepo) List(ctx context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	r.mu.Lock()
	r.limits = append(r.limits, limit)
	r.mu.Unlock()
	return r.Repository.List(ctx, owner, limit, pageToken)
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
			svc, err := consignment.NewService(repo, newBooker(&clock{}), &fakeAnnouncer{}, func() string { return "x" }, time.Now, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.List(testContext(t), "", tt.limit, ""); err != nil {
				t.Fatalf("List(%d) = %v", tt.limit, err)
			}
			if !slices.Equal(repo.limits, []int{tt.want}) {
				t.Errorf("List(%d) asked the repository for limits %v, want [%d]", tt.limit, repo.limits, tt.want)
			}
		})
	}
}

// cancelled returns booked(id) of owner as Cancel returns it.
func cancelled(id, owner string) consignment.Consignment {
	c := booked(id)
	c.Owner, c.Status = owner, consignment.StatusCancelled
	return c
}

// TestCancel: the owner or an operator cancels a booked consignment, which
// is then stored cancelled, never listed, and its room released; a cancel
// of a consignment the caller cannot see changes and releases nothing.
func TestCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id, owner string
		wantErr         error
		wantField       string // of the *FieldError wantErr is
	}{
		{name: "by its owner", id: "c-1", owner: "user-a"},
		{name: "by an operator", id: "c-1", owner: ""},
		{name: "by another owner", id: "c-1", owner: "user-b", wantErr: consignment.ErrNotFound},
		{name: "unknown id", id: "missing", owner: "user-a", wantErr: consignment.ErrNotFound},
		{name: "pending, of an earlier release", id: "legacy", owner: "", wantErr: consignment.ErrNotFound},
		{name: "no id", id: "", owner: "user-a", wantErr: consignment.ErrInvalid, wantField: "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			in := consignmenttest.Valid()
			in.Owner = "user-a"
			e.create(t, in)
			e.waitConfirmed(t, "c-1")
			e.storePending(t, withID("legacy"), time.Minute)
			before := e.get(t, tt.id)

			got, err := e.svc.Cancel(testContext(t), tt.id, tt.owner)
			if tt.wantErr != nil {
				var fe *consignment.FieldError
				if !errors.Is(err, tt.wantErr) || tt.wantField != "" && (!errors.As(err, &fe) || fe.Field != tt.wantField) {
					t.Errorf("Cancel(%q, %q) = %+v, %v; want %v (field %q)", tt.id, tt.owner, got, err, tt.wantErr, tt.wantField)
				}
				if diff := cmp.Diff(before, e.get(t, tt.id)); diff != "" {
					t.Errorf("a refused Cancel changed the stored consignment (-want +got):\n%s", diff)
				}
				if v := e.booker.state(); len(v.released) != 0 {
					t.Errorf("a refused Cancel released %v", v.released)
				}
				return
			}
			want := cancelled("c-1", "user-a")
			if err != nil || !cmp.Equal(got, want) {
				t.Fatalf("Cancel(%q, %q) = %+v, %v; want %+v", tt.id, tt.owner, got, err, want)
			}
			if diff := cmp.Diff(want, e.get(t, "c-1")); diff != "" {
				t.Errorf("stored consignment (-want +got):\n%s", diff)
			}
			if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1"}) || len(v.held)+len(v.confirmed) != 0 {
				t.Errorf("released %v, held %v, confirmed %v; want c-1 released", v.released, v.held, v.confirmed)
			}
			if items, _, err := e.svc.List(testContext(t), "", 0, ""); err != nil || len(items) != 0 {
				t.Errorf("List() = %d items, %v; want none", len(items), err)
			}
			if logs := e.logs.String(); !strings.Contains(logs, `msg="consignment cancelled" consignment_id=c-1 vessel_id=vessel001`) {
				t.Errorf("log has no line of the cancel:\n%s", logs)
			}
		})
	}
}

// TestCancelAgain: a repeated cancel returns the cancelled consignment and
// releases its room again, which the vessel service answers as done.
func TestCancelAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, consignmenttest.Valid())
	for i := range 2 {
		if got, err := e.svc.Cancel(testContext(t), "c-1", ""); err != nil || !cmp.Equal(got, cancelled("c-1", "")) {
			t.Errorf("cancel %d = %+v, %v; want it cancelled", i, got, err)
		}
	}
	if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1", "c-1"}) || v.taken != 1 {
		t.Errorf("room taken %d times, released %v; want taken once, released by each cancel", v.taken, v.released)
	}
}

// TestCancelReleaseFails: a cancel whose release fails leaves the
// consignment cancelled, unlisted, and says to repeat it, as
// ErrUnavailable; the repeat releases the room.
func TestCancelReleaseFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, consignmenttest.Valid())
	e.waitConfirmed(t, "c-1")
	e.booker.configure(func(b *fakeBooker) { b.releaseErr = fmt.Errorf("vessel service: %w", consignment.ErrUnavailable) })
	_, err := e.svc.Cancel(testContext(t), "c-1", "")
	if !errors.Is(err, consignment.ErrUnavailable) || !strings.Contains(err.Error(), "repeat the cancel") {
		t.Fatalf("Cancel() with the release failing = %v, want ErrUnavailable saying to repeat the cancel", err)
	}
	if got := e.get(t, "c-1"); got.Status != consignment.StatusCancelled {
		t.Errorf("c-1 is %q after a failed release, want cancelled", got.Status)
	}
	if items, _, err := e.svc.List(testContext(t), "", 0, ""); err != nil || len(items) != 0 {
		t.Errorf("List() = %d items, %v; want none", len(items), err)
	}
	if v := e.booker.state(); !slices.Equal(v.confirmed, []string{"c-1"}) {
		t.Errorf("confirmed %v after the failed release, want c-1: its room still taken", v.confirmed)
	}

	e.booker.configure(func(b *fakeBooker) { b.releaseErr = nil })
	if got, err := e.svc.Cancel(testContext(t), "c-1", ""); err != nil || got.Status != consignment.StatusCancelled {
		t.Errorf("repeated Cancel() = %+v, %v; want it cancelled", got, err)
	}
	if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1"}) || len(v.confirmed) != 0 {
		t.Errorf("released %v, confirmed %v; want c-1 released by the repeat", v.released, v.confirmed)
	}
}

// TestCancelCallerLeaves: a caller that goes once the consignment is
// marked cancelled does not stop the release of its room.
func TestCancelCallerLeaves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, consignmenttest.Valid())
	ctx, cancel := context.WithCancel(testContext(t))
	e.repo.configure(func(r *faultyRepo) { r.afterCancel = cancel })
	if _, err := e.svc.Cancel(ctx, "c-1", ""); err != nil {
		t.Errorf("Cancel() = %v, want it cancelled", err)
	}
	if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1"}) {
		t.Errorf("released %v, want c-1", v.released)
	}
}

// TestCreateCancelledID: a retried create of a cancelled consignment is a
// conflict that says so, and books nothing.
func TestCreateCancelledID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.create(t, consignmenttest.Valid())
	if _, err := e.svc.Cancel(testContext(t), "c-1", ""); err != nil {
		t.Fatalf("Cancel() = %v", err)
	}
	_, err := e.svc.Create(testContext(t), consignmenttest.Valid())
	if !errors.Is(err, consignment.ErrConflict) || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("retried Create() of a cancelled consignment = %v, want ErrConflict saying it was cancelled", err)
	}
	if v := e.booker.state(); v.books != 1 || len(v.held)+len(v.confirmed) != 0 {
		t.Errorf("Book called %d times, held %v, confirmed %v; want 1 call, nothing booked", v.books, v.held, v.confirmed)
	}
	if got := e.get(t, "c-1"); got.Status != consignment.StatusCancelled {
		t.Errorf("c-1 is %q after the retry, want cancelled", got.Status)
	}
}

// TestRecoverCancelled: recovery treats a cancelled consignment as not
// booked: once its hold has run out, it releases the hold, never confirms
// it. (A cancel whose release failed, before the create's confirmation,
// leaves such a hold.)
func TestRecoverCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.storeBooked(t, withID("c-1"))
	e.booker.hold(withID("c-1"), time.Second)
	e.booker.configure(func(b *fakeBooker) { b.releaseErr = errors.New("vessel service: 503") })
	if _, err := e.svc.Cancel(testContext(t), "c-1", ""); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Cancel() = %v, want ErrUnavailable", err)
	}
	e.recoverWants(t, consignment.Recovery{})
	e.clock.Advance(time.Second)
	e.recoverWants(t, consignment.Recovery{Released: 1})
	if v := e.booker.state(); !slices.Equal(v.released, []string{"c-1"}) || len(v.held)+len(v.confirmed) != 0 {
		t.Errorf("released %v, held %v, confirmed %v; want c-1 released", v.released, v.held, v.confirmed)
	}
}
