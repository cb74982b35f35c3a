package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// holdMillis is the hold of the tests' batches: 30 s.
const holdMillis = 30000

// heldUntil is when a hold taken at t0 plus after runs out, as on the
// wire.
func heldUntil(after time.Duration) int64 {
	return t0.Add(after + holdMillis*time.Millisecond).UnixMilli()
}

// batch is a BookBatch request of holder "h" for holdMillis.
func batch(items ...*vesselpb.BookRequest) *vesselpb.BookBatchRequest {
	return &vesselpb.BookBatchRequest{Holder: "h", HoldMillis: holdMillis, Items: items}
}

func booked(r *vesselpb.Booking) *vesselpb.BookResult { return &vesselpb.BookResult{Booking: r} }

func refused(reason, detail string) *vesselpb.BookResult {
	return &vesselpb.BookResult{Error: &vesselpb.BookError{Reason: reason, Detail: detail}}
}

func TestBookBatch(t *testing.T) {
	t.Parallel()
	c1 := &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 2, Weight: 300}
	c1Held := &vesselpb.Booking{ConsignmentId: "c1", VesselId: "a", Containers: 2, Weight: 300, Holder: "h", HeldUntilUnixMillis: heldUntil(0)}
	tests := []struct {
		name        string
		book        []*vesselpb.BookRequest // booked by Book first, confirmed
		req         *vesselpb.BookBatchRequest
		want        []*vesselpb.BookResult
		wantCode    int32
		wantDetail  string
		wantVessels []*vesselpb.Vessel // the fleet after, when it changed
	}{
		{
			name: "held, first fit",
			req:  batch(c1),
			want: []*vesselpb.BookResult{booked(c1Held)},
		},
		{
			name: "each item its outcome, as Book would answer",
			req: batch(
				c1,
				&vesselpb.BookRequest{ConsignmentId: "c2", Containers: 51, Weight: 1},
				&vesselpb.BookRequest{ConsignmentId: "c3", Weight: 1},
				&vesselpb.BookRequest{ConsignmentId: "c1", Containers: 3, Weight: 300},
				&vesselpb.BookRequest{ConsignmentId: "c4", Containers: 4, Weight: 10},
				nil,
			),
			want: []*vesselpb.BookResult{
				booked(c1Held),
				refused("NO_ROOM", "no vessel has room for 51 containers and 1 kg"),
				refused("INVALID", "containers: must be positive, got 0"),
				refused("CONFLICT", `consignment "c1" is booked with 2 containers and 300 kg: id already used with different contents`),
				booked(&vesselpb.Booking{ConsignmentId: "c4", VesselId: "c", Containers: 4, Weight: 10, Holder: "h", HeldUntilUnixMillis: heldUntil(0)}),
				refused("INVALID", "consignment_id: required"),
			},
		},
		{
			name: "a confirmed booking is answered as it is",
			book: []*vesselpb.BookRequest{c1},
			req:  batch(c1),
			want: []*vesselpb.BookResult{booked(&vesselpb.Booking{ConsignmentId: "c1", VesselId: "a", Containers: 2, Weight: 300})},
		},
		{name: "no items", req: batch(), want: []*vesselpb.BookResult{}},
		{name: "no holder", req: &vesselpb.BookBatchRequest{HoldMillis: 1, Items: []*vesselpb.BookRequest{c1}}, wantCode: http.StatusBadRequest, wantDetail: "holder: required"},
		{name: "holder too long", req: &vesselpb.BookBatchRequest{Holder: strings.Repeat("h", 129), HoldMillis: 1}, wantCode: http.StatusBadRequest, wantDetail: "holder: longer than 128 bytes"},
		{name: "no hold", req: &vesselpb.BookBatchRequest{Holder: "h", Items: []*vesselpb.BookRequest{c1}}, wantCode: http.StatusBadRequest, wantDetail: "hold_millis: must be positive, got 0"},
		{name: "negative hold", req: &vesselpb.BookBatchRequest{Holder: "h", HoldMillis: -1 << 62}, wantCode: http.StatusBadRequest, wantDetail: "hold_millis: must be positive, got -9223372036854"},
		{name: "hold too long", req: &vesselpb.BookBatchRequest{Holder: "h", HoldMillis: 86400001}, wantCode: http.StatusBadRequest, wantDetail: "hold_millis: must be at most 86400000, got 86400001"},
		{name: "too many items", req: batch(make([]*vesselpb.BookRequest, 1001)...), wantCode: http.StatusBadRequest, wantDetail: "items: more than 1000, got 1001"},
		{name: "nil request", req: nil, wantCode: http.StatusBadRequest, wantDetail: "holder: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := newHandler(t)
			for _, req := range tt.book {
				mustBook(t, h, req)
			}
			before := list(t, h)
			rsp := &vesselpb.BookBatchResponse{}
			err := h.BookBatch(asConsignment(t), tt.req, rsp)
			if !succeeded(t, "BookBatch", err, tt.wantCode, tt.wantDetail) {
				if after := list(t, h); !protoSliceEqual(after, before) {
					t.Errorf("failed BookBatch changed the fleet:\n got %v\nwant %v", after, before)
				}
				return
			}
			assertResults(t, rsp.GetResults(), tt.want)
		})
	}
}

// TestBookBatchHold books a consignment again as its hold goes by: it is
// renewed while it runs, and answered UNAVAILABLE once it ran out.
func TestBookBatchHold(t *testing.T) {
	t.Parallel()
	h, _, clock := newClockedHandler(t)
	c1 := &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 2, Weight: 300}
	held := func(until int64) *vesselpb.BookResult {
		return booked(&vesselpb.Booking{ConsignmentId: "c1", VesselId: "a", Containers: 2, Weight: 300, Holder: "h", HeldUntilUnixMillis: until})
	}
	steps := []struct {
		after time.Duration // the clock, from t0
		want  *vesselpb.BookResult
	}{
		{0, held(heldUntil(0))},
		{10 * time.Second, held(heldUntil(10 * time.Second))},
		{40*time.Second - time.Millisecond, held(heldUntil(40*time.Second - time.Millisecond))},
		{70 * time.Second, refused("UNAVAILABLE", "hold expired, being settled")},
	}
	for _, step := range steps {
		clock.Add(step.after - clock.Now().Sub(t0))
		rsp := &vesselpb.BookBatchResponse{}
		if err := h.BookBatch(asConsignment(t), batch(c1), rsp); err != nil {
			t.Fatalf("BookBatch at t0+%v: %v", step.after, err)
		}
		assertResults(t, rsp.GetResults(), []*vesselpb.BookResult{step.want})
	}
	// The room is taken once.
	assertListed(t, h, &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 3, RemainingWeight: 700})
}

// TestHoldsSettled confirms, lists and releases holds as recovery does.
func TestHoldsSettled(t *testing.T) {
	t.Parallel()
	h, _, clock := newClockedHandler(t)
	rsp := &vesselpb.BookBatchResponse{}
	req := batch(
		&vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 100},
		&vesselpb.BookRequest{ConsignmentId: "c2", Containers: 2, Weight: 200},
	)
	if err := h.BookBatch(asConsignment(t), req, rsp); err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "c3", Containers: 1, Weight: 1})

	confirmed := &vesselpb.ConfirmBookingsResponse{}
	if err := h.ConfirmBookings(asConsignment(t), &vesselpb.ConfirmBookingsRequest{ConsignmentIds: []string{"c1", "c3", "c9"}}, confirmed); err != nil || confirmed.GetConfirmed() != 1 {
		t.Fatalf("ConfirmBookings = %v, %v; want 1 confirmed", confirmed, err)
	}
	assertExpired(t, h, "h") // not run out yet
	if released := releaseExpired(t, h, "c2"); released {
		t.Error("ReleaseExpiredHold before the hold ran out released it")
	}

	clock.Add(holdMillis * time.Millisecond)
	assertExpired(t, h, "h", &vesselpb.Booking{ConsignmentId: "c2", VesselId: "a", Containers: 2, Weight: 200, Holder: "h", HeldUntilUnixMillis: heldUntil(0)})
	assertExpired(t, h, "other")
	for _, tt := range []struct {
		id   string
		want bool
	}{{"c1", false}, {"c3", false}, {"c2", true}, {"c2", false}} {
		if got := releaseExpired(t, h, tt.id); got != tt.want {
			t.Errorf("ReleaseExpiredHold(%s) released = %t, want %t", tt.id, got, tt.want)
		}
	}
	assertExpired(t, h, "h")
	assertListed(t, h, &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 3, RemainingWeight: 899})
}

func TestHoldsInvalid(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint("c", i)
		}
		return out
	}
	tests := []struct {
		name       string
		call       func() error
		wantDetail string
	}{
		{"confirm: too many ids", func() error {
			return h.ConfirmBookings(asConsignment(t), &vesselpb.ConfirmBookingsRequest{ConsignmentIds: ids(1001)}, &vesselpb.ConfirmBookingsResponse{})
		}, "consignment_ids: more than 1000, got 1001"},
		{"confirm: an empty id", func() error {
			return h.ConfirmBookings(asConsignment(t), &vesselpb.ConfirmBookingsRequest{ConsignmentIds: []string{"c1", ""}}, &vesselpb.ConfirmBookingsResponse{})
		}, "consignment_ids[1]: required"},
		{"confirm: an id not UTF-8", func() error {
			return h.ConfirmBookings(asConsignment(t), &vesselpb.ConfirmBookingsRequest{ConsignmentIds: []string{"\xff"}}, &vesselpb.ConfirmBookingsResponse{})
		}, "consignment_ids[0]: not valid UTF-8"},
		{"list: no holder", func() error {
			return h.ListExpiredHolds(asConsignment(t), &vesselpb.ListExpiredHoldsRequest{Limit: 10}, &vesselpb.ListExpiredHoldsResponse{})
		}, "holder: required"},
		{"list: no limit", func() error {
			return h.ListExpiredHolds(asConsignment(t), &vesselpb.ListExpiredHoldsRequest{Holder: "h"}, &vesselpb.ListExpiredHoldsResponse{})
		}, "limit: must be between 1 and 1000, got 0"},
		{"list: limit too high", func() error {
			return h.ListExpiredHolds(asConsignment(t), &vesselpb.ListExpiredHoldsRequest{Holder: "h", Limit: 1001}, &vesselpb.ListExpiredHoldsResponse{})
		}, "limit: must be between 1 and 1000, got 1001"},
		{"list: nil request", func() error {
			return h.ListExpiredHolds(asConsignment(t), nil, &vesselpb.ListExpiredHoldsResponse{})
		}, "holder: required"},
		{"release: nil request", func() error {
			return h.ReleaseExpiredHold(asConsignment(t), nil, &vesselpb.ReleaseResponse{})
		}, "consignment_id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertMicroError(t, tt.call(), http.StatusBadRequest, tt.wantDetail)
		})
	}
	confirmed := &vesselpb.ConfirmBookingsResponse{}
	if err := h.ConfirmBookings(asConsignment(t), nil, confirmed); err != nil || confirmed.GetConfirmed() != 0 {
		t.Errorf("ConfirmBookings(nil) = %v, %v; want 0 confirmed", confirmed, err)
	}
}

// TestBookBatchStoreFailures checks items the store failed: each answers
// as a Book would, and the causes are logged once for the call.
func TestBookBatchStoreFailures(t *testing.T) {
	t.Parallel()
	h, logs := newHandlerOver(t, batchService{outcomes: []vessel.BookOutcome{
		{Booking: vessel.Booking{ConsignmentID: "c1", VesselID: "a", Containers: 1, Weight: 1}},
		{Err: fmt.Errorf("mongo: %w", vessel.ErrUnavailable)},
		{Err: fmt.Errorf("mongo: %w", vessel.ErrUnavailable)},
		{Err: vessel.ErrHoldExpired},
		{Err: vessel.ErrHeldElsewhere},
	}})
	rsp := &vesselpb.BookBatchResponse{}
	if err := h.BookBatch(asConsignment(t), batch(), rsp); err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	assertResults(t, rsp.GetResults(), []*vesselpb.BookResult{
		booked(&vesselpb.Booking{ConsignmentId: "c1", VesselId: "a", Containers: 1, Weight: 1}),
		refused("UNAVAILABLE", "vessel store unavailable"),
		refused("UNAVAILABLE", "vessel store unavailable"),
		refused("UNAVAILABLE", "hold expired, being settled"),
		refused("UNAVAILABLE", "held by another consignment store"),
	})
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1: %q", len(lines), logs)
	}
	for _, want := range []string{`"level":"WARN"`, `"method":"BookBatch"`, `"items":2`, "mongo: unavailable"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line %q does not contain %q", lines[0], want)
		}
	}
}

// batchService is a vessel service whose BookBatch answers outcomes.
type batchService struct {
	failingService
	outcomes []vessel.BookOutcome
}

func (s batchService) BookBatch(context.Context, string, time.Duration, []vessel.BookRequest) ([]vessel.BookOutcome, error) {
	return s.outcomes, nil
}

func releaseExpired(t *testing.T, h interface {
	ReleaseExpiredHold(context.Context, *vesselpb.ReleaseRequest, *vesselpb.ReleaseResponse) error
}, id string) bool {
	t.Helper()
	rsp := &vesselpb.ReleaseResponse{}
	if err := h.ReleaseExpiredHold(asConsignment(t), &vesselpb.ReleaseRequest{ConsignmentId: id}, rsp); err != nil {
		t.Fatalf("ReleaseExpiredHold(%s): %v", id, err)
	}
	return rsp.GetReleased()
}

// assertExpired checks ListExpiredHolds of the holder, in any order.
func assertExpired(t *testing.T, h interface {
	ListExpiredHolds(context.Context, *vesselpb.ListExpiredHoldsRequest, *vesselpb.ListExpiredHoldsResponse) error
}, holder string, want ...*vesselpb.Booking) {
	t.Helper()
	rsp := &vesselpb.ListExpiredHoldsResponse{}
	if err := h.ListExpiredHolds(asConsignment(t), &vesselpb.ListExpiredHoldsRequest{Holder: holder, Limit: 1000}, rsp); err != nil {
		t.Fatalf("ListExpiredHolds(%s): %v", holder, err)
	}
	got := rsp.GetBookings()
	if len(got) != len(want) {
		t.Fatalf("ListExpiredHolds(%s) = %v, want %v", holder, got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || proto.Equal(g, w)
		}
		if !found {
			t.Errorf("ListExpiredHolds(%s) = %v, want %v among them", holder, got, w)
		}
	}
}

func assertResults(t *testing.T, got, want []*vesselpb.BookResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("result %d = %v, want %v", i, got[i], want[i])
		}
	}
}
