package vessel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// t0 is the time on the test clocks when a test starts: not a whole
// millisecond, as the clock of a service is not.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 1500000, time.UTC)

// clock is a test clock: it stands still until moved.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// newClockedService is newService with a clock that reads t0 until set.
func newClockedService(t *testing.T, fleet ...vessel.Vessel) (*vessel.Service, *memory.Store, *clock) {
	t.Helper()
	store := memory.New()
	c := &clock{now: t0}
	svc, err := vessel.NewService(store, func() string { return "x" }, c.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	for _, v := range fleet {
		if err := store.Create(t.Context(), v); err != nil {
			t.Fatalf("Create(%+v): %v", v, err)
		}
	}
	return svc, store, c
}

func TestBookBatchValidation(t *testing.T) {
	t.Parallel()
	one := []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 1}}
	tests := []struct {
		name      string
		holder    string
		hold      time.Duration
		reqs      []vessel.BookRequest
		wantField string
	}{
		{"no holder", "", time.Second, one, "holder"},
		{"holder too long", strings.Repeat("h", vessel.MaxIDBytes+1), time.Second, one, "holder"},
		{"holder not UTF-8", "\xff", time.Second, one, "holder"},
		{"no hold", "h", 0, one, "hold_millis"},
		{"under a millisecond", "h", time.Millisecond - 1, one, "hold_millis"},
		{"over MaxHold", "h", vessel.MaxHold + time.Millisecond, one, "hold_millis"},
		{"too many items", "h", time.Second, make([]vessel.BookRequest, vessel.MaxBatch+1), "items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, store := newService(t, testFleet...)
			out, err := svc.BookBatch(t.Context(), tt.holder, tt.hold, tt.reqs)
			assertFieldError(t, err, tt.wantField)
			if out != nil {
				t.Errorf("BookBatch refused, with outcomes %+v", out)
			}
			if got := mustList(t, store); fmt.Sprint(got) != fmt.Sprint(testFleet) {
				t.Errorf("refused BookBatch changed the fleet: %+v", got)
			}
		})
	}
	svc, _ := newService(t, testFleet...)
	for _, hold := range []time.Duration{time.Millisecond, vessel.MaxHold} {
		if _, err := svc.BookBatch(t.Context(), "h", hold, one); err != nil {
			t.Errorf("BookBatch with a hold of %v: %v", hold, err)
		}
	}
}

// TestBookBatch books a batch of valid and invalid requests: each gets
// the answer a Book of it would, the valid ones held until the hold from
// the clock's now, cut to the millisecond.
func TestBookBatch(t *testing.T) {
	t.Parallel()
	svc, store, _ := newClockedService(t, testFleet...)
	reqs := []vessel.BookRequest{
		{ConsignmentID: "c1", Containers: 2, Weight: 200},
		{ConsignmentID: "c2", Weight: 1},                 // invalid
		{ConsignmentID: "c3", Containers: 51, Weight: 1}, // no room
		{ConsignmentID: "c4", Containers: 5, Weight: 10},
		{ConsignmentID: "c1", Containers: 3, Weight: 200}, // conflict
		{ConsignmentID: "", Containers: 1, Weight: 1},     // invalid
	}
	out, err := svc.BookBatch(t.Context(), "holder-1", 30*time.Second, reqs)
	if err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	until := time.Date(2030, 1, 2, 3, 4, 35, 1000000, time.UTC)
	want := []struct {
		booking vessel.Booking
		err     string
	}{
		{booking: vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 2, Weight: 200, Holder: "holder-1", HeldUntil: until}},
		{err: "containers: must be positive, got 0"},
		{err: "no vessel has room for 51 containers and 1 kg"},
		{booking: vessel.Booking{ConsignmentID: "c4", VesselID: "c", Containers: 5, Weight: 10, Holder: "holder-1", HeldUntil: until}},
		{err: `consignment "c1" is booked with 2 containers and 200 kg: id already used with different contents`},
		{err: "consignment_id: required"},
	}
	if len(out) != len(want) {
		t.Fatalf("%d outcomes, want %d", len(out), len(want))
	}
	for i, w := range want {
		got := out[i]
		switch {
		case w.err == "" && (got.Err != nil || got.Booking != w.booking):
			t.Errorf("outcome %d = %+v, want booking %+v", i, got, w.booking)
		case w.err != "" && (got.Err == nil || got.Err.Error() != w.err || got.Booking != vessel.Booking{}):
			t.Errorf("outcome %d = %+v, want error %q and no booking", i, got, w.err)
		}
	}
	// Each message is the one Book answers.
	for _, i := range []int{2, 4} {
		_, _, err := svc.Book(t.Context(), reqs[i])
		if err == nil || err.Error() != out[i].Err.Error() {
			t.Errorf("Book(%+v) error %v, BookBatch's %v", reqs[i], err, out[i].Err)
		}
	}
	for _, i := range []int{1, 5} {
		if !errors.Is(out[i].Err, vessel.ErrInvalid) {
			t.Errorf("outcome %d: %v does not match ErrInvalid", i, out[i].Err)
		}
	}
	fleet := mustList(t, store)
	if fleet[0].UsedCapacity != 2 || fleet[2].UsedCapacity != 5 {
		t.Errorf("fleet after BookBatch: %+v", fleet)
	}
}

// TestBookBatchHold books a consignment again as its hold goes by.
func TestBookBatchHold(t *testing.T) {
	t.Parallel()
	svc, store, c := newClockedService(t, testFleet...)
	req := []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 10}}
	const hold = 30 * time.Second
	steps := []struct {
		after     time.Duration // on the clock, from t0
		wantUntil time.Time     // zero: hold expired
	}{
		{0, vessel.HoldTime(t0.Add(hold))},
		{10 * time.Second, vessel.HoldTime(t0.Add(10*time.Second + hold))},
		{5 * time.Second, vessel.HoldTime(t0.Add(10*time.Second + hold))}, // a clock gone back renews to no earlier end
		{40 * time.Second, time.Time{}},
	}
	for _, step := range steps {
		c.Set(t0.Add(step.after))
		out, err := svc.BookBatch(t.Context(), "h", hold, req)
		if err != nil {
			t.Fatalf("BookBatch at t0+%v: %v", step.after, err)
		}
		if step.wantUntil.IsZero() {
			if !errors.Is(out[0].Err, vessel.ErrHoldExpired) || !errors.Is(out[0].Err, vessel.ErrUnavailable) {
				t.Errorf("BookBatch at t0+%v: %+v, want ErrHoldExpired, an ErrUnavailable", step.after, out[0])
			}
			continue
		}
		if out[0].Err != nil || !out[0].Booking.HeldUntil.Equal(step.wantUntil) {
			t.Errorf("BookBatch at t0+%v: %+v, want held until %v", step.after, out[0], step.wantUntil)
		}
	}
	if got := mustList(t, store)[0]; got.UsedCapacity != 1 {
		t.Errorf("vessel a after booking one consignment again and again: %+v", got)
	}
}

func TestBookBatchCanceled(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, testFleet...)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := svc.BookBatch(ctx, "h", time.Second, []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 1}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("BookBatch with a canceled context: error %v, want context.Canceled", err)
	}
}

// TestBookBatchItemFailure checks an outcome the store failed: it keeps
// its cause.
func TestBookBatchItemFailure(t *testing.T) {
	t.Parallel()
	repo := itemFailingRepo{Repository: memory.New(), err: fmt.Errorf("mongo: %w", vessel.ErrUnavailable)}
	svc, err := vessel.NewService(repo, func() string { return "x" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	out, err := svc.BookBatch(t.Context(), "h", time.Second, []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 1}})
	if err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	if !errors.Is(out[0].Err, vessel.ErrUnavailable) || !strings.Contains(out[0].Err.Error(), `book consignment "c1": mongo: unavailable`) {
		t.Errorf("outcome %+v, want the store's error", out[0])
	}
}

// itemFailingRepo fails every item of BookHeld with err.
type itemFailingRepo struct {
	vessel.Repository
	err error
}

func (r itemFailingRepo) BookHeld(_ context.Context, reqs []vessel.BookRequest, _ vessel.Hold, _ time.Time) ([]vessel.BookOutcome, error) {
	out := make([]vessel.BookOutcome, len(reqs))
	for i := range out {
		out[i].Err = r.err
	}
	return out, nil
}

// TestSettleHolds confirms, lists and releases holds by the service's
// clock.
func TestSettleHolds(t *testing.T) {
	t.Parallel()
	svc, store, c := newClockedService(t, testFleet...)
	ctx := t.Context()
	reqs := []vessel.BookRequest{
		{ConsignmentID: "c1", Containers: 1, Weight: 10},
		{ConsignmentID: "c2", Containers: 2, Weight: 20},
		{ConsignmentID: "c3", Containers: 1, Weight: 30},
	}
	if _, err := svc.BookBatch(ctx, "h", 30*time.Second, reqs); err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	if n, err := svc.Confirm(ctx, []string{"c1", "c9"}); err != nil || n != 1 {
		t.Errorf("Confirm = %d, %v; want 1", n, err)
	}
	if got, err := svc.ListExpiredHolds(ctx, "h", 10); err != nil || len(got) != 0 {
		t.Errorf("ListExpiredHolds before the holds ran out = %+v, %v; want none", got, err)
	}
	if released, err := svc.ReleaseExpiredHold(ctx, "c2"); err != nil || released {
		t.Errorf("ReleaseExpiredHold before the hold ran out = %t, %v; want false", released, err)
	}
	c.Set(t0.Add(30 * time.Second))
	got, err := svc.ListExpiredHolds(ctx, "h", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListExpiredHolds once the holds ran out = %+v, %v; want c2 and c3", got, err)
	}
	if got, err := svc.ListExpiredHolds(ctx, "h", 1); err != nil || len(got) != 1 {
		t.Errorf("ListExpiredHolds with limit 1 = %+v, %v; want one", got, err)
	}
	if released, err := svc.ReleaseExpiredHold(ctx, "c2"); err != nil || !released {
		t.Errorf("ReleaseExpiredHold once the hold ran out = %t, %v; want true", released, err)
	}
	if v := mustList(t, store)[0]; v.UsedCapacity != 2 || v.UsedWeight != 40 {
		t.Errorf("vessel a after the release: %+v, want c1 and c3 booked", v)
	}
}

func TestSettleHoldsValidation(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, testFleet...)
	ctx := t.Context()
	ids := make([]string, vessel.MaxBatch+1)
	for i := range ids {
		ids[i] = fmt.Sprint("c", i)
	}
	tests := []struct {
		name      string
		call      func() error
		wantField string
	}{
		{"confirm: too many", func() error { _, err := svc.Confirm(ctx, ids); return err }, "consignment_ids"},
		{"confirm: empty id", func() error { _, err := svc.Confirm(ctx, []string{"c1", ""}); return err }, "consignment_ids[1]"},
		{"confirm: id too long", func() error { _, err := svc.Confirm(ctx, []string{strings.Repeat("c", 129)}); return err }, "consignment_ids[0]"},
		{"confirm: most", func() error { _, err := svc.Confirm(ctx, ids[1:]); return err }, ""},
		{"confirm: none", func() error { _, err := svc.Confirm(ctx, nil); return err }, ""},
		{"list: no holder", func() error { _, err := svc.ListExpiredHolds(ctx, "", 1); return err }, "holder"},
		{"list: limit 0", func() error { _, err := svc.ListExpiredHolds(ctx, "h", 0); return err }, "limit"},
		{"list: limit too high", func() error { _, err := svc.ListExpiredHolds(ctx, "h", vessel.MaxBatch+1); return err }, "limit"},
		{"list: highest limit", func() error { _, err := svc.ListExpiredHolds(ctx, "h", vessel.MaxBatch); return err }, ""},
		{"release: no id", func() error { _, err := svc.ReleaseExpiredHold(ctx, ""); return err }, "consignment_id"},
		{"release: not UTF-8", func() error { _, err := svc.ReleaseExpiredHold(ctx, "\xc3"); return err }, "consignment_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertFieldError(t, tt.call(), tt.wantField)
		})
	}
}

func TestHoldTime(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("UTC+1", 3600)
	got := vessel.HoldTime(time.Date(2030, 1, 2, 4, 4, 5, 1999999, paris))
	want := time.Date(2030, 1, 2, 3, 4, 5, 1000000, time.UTC)
	if got != want {
		t.Errorf("HoldTime = %v, want %v", got, want)
	}
	if again := time.UnixMilli(got.UnixMilli()).UTC(); again != got {
		t.Errorf("HoldTime %v through milliseconds = %v", got, again)
	}
}
