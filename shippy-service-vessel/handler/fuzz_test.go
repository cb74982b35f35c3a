package handler_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/rpcerr/rpcerrtest"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// The fuzz targets below feed each RPC every request body that decodes as
// its message (go-micro rejects the others before the handler), over a
// memory store seeded with the test fleet (newHandler) in which consignment "held" holds 2
// containers and 200 kg on vessel "a", and consignment "expired" 1
// container and 100 kg there, held by "h" with a hold that has run out.
// Whatever the input, the RPC answers nil or one of the client errors its
// contract names, a 400 names the field of the request, and no vessel is
// left with negative room: bad input is never an internal error.

// fuzzHandler returns a handler over the test fleet with "held" booked and
// "expired" held by "h", its hold run out.
func fuzzHandler(t *testing.T) *handler.Handler {
	t.Helper()
	h, _, clock := newClockedHandler(t)
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "held", Containers: 2, Weight: 200})
	req := &vesselpb.BookBatchRequest{Holder: "h", HoldMillis: 1, Items: []*vesselpb.BookRequest{{ConsignmentId: "expired", Containers: 1, Weight: 100}}}
	rsp := &vesselpb.BookBatchResponse{}
	if err := h.BookBatch(asConsignment(t), req, rsp); err != nil || rsp.GetResults()[0].GetBooking() == nil {
		t.Fatalf("BookBatch(%v) = %v, %v", req, rsp, err)
	}
	clock.Add(time.Second)
	return h
}

// wantClientError fails t unless err is nil or a go-micro error from the
// vessel service with one of the codes; a 400's detail must start with one
// of fields and ": ". It returns the code, 0 for nil.
func wantClientError(t *testing.T, err error, fields *regexp.Regexp, codes ...int32) int32 {
	t.Helper()
	return rpcerrtest.WantClientError(t, err, vesselpb.ServiceName, fields, codes...)
}

// wantRoomNotNegative fails t when a vessel has more room booked than it
// has.
func wantRoomNotNegative(t *testing.T, h *handler.Handler) {
	t.Helper()
	for _, v := range list(t, h) {
		if v.GetRemainingCapacity() < 0 || v.GetRemainingWeight() < 0 {
			t.Errorf("vessel %q has remaining room %d containers, %d kg", v.GetId(), v.GetRemainingCapacity(), v.GetRemainingWeight())
		}
	}
}

func FuzzBook(f *testing.F) {
	long := strings.Repeat("x", vessel.MaxIDBytes+1)
	seeds := []*vesselpb.BookRequest{
		{ConsignmentId: "held", Containers: 2, Weight: 200}, // a retry
		{ConsignmentId: "held", Containers: 3, Weight: 200}, // 409
		{ConsignmentId: "new", Containers: 1, Weight: 1},
		{ConsignmentId: "new", Containers: 51, Weight: 1}, // 412
		{ConsignmentId: "new", Containers: 1, Weight: 1 << 30},
		{ConsignmentId: "new", Containers: -1, Weight: 1},
		{ConsignmentId: "new", Containers: 1},
		{ConsignmentId: long, Containers: 1, Weight: 1},
		{Containers: 1, Weight: 1},
		{},
	}
	fields := regexp.MustCompile(`^(consignment_id|containers|weight): \S`)

	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.BookRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.BookResponse)
		err := h.Book(asConsignment(t), req, rsp)
		code := wantClientError(t, err, fields, http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed)
		if code == 0 {
			b := rsp.GetBooking()
			if b.GetConsignmentId() != req.GetConsignmentId() || b.GetContainers() != req.GetContainers() ||
				b.GetWeight() != req.GetWeight() || b.GetVesselId() != rsp.GetVessel().GetId() {
				t.Errorf("booking %v on vessel %q, want the request %v", b, rsp.GetVessel().GetId(), req)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzCreate(f *testing.F) {
	long := strings.Repeat("x", vessel.MaxIDBytes+1)
	seeds := []*vesselpb.Vessel{
		{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true}, // a retry
		{Id: "a", Name: "other", Capacity: 5, MaxWeight: 1000, Available: true}, // 409
		{Id: "d", Name: "new", Capacity: 1, MaxWeight: 1, RemainingCapacity: -5},
		{Name: "no id", Capacity: 1, MaxWeight: 1},
		{Id: "d", Capacity: 0, MaxWeight: 1},
		{Id: "d", Capacity: 1, MaxWeight: -1},
		{Id: long, Capacity: 1, MaxWeight: 1},
		{Id: "d", OwnerId: long, Capacity: 1, MaxWeight: 1},
		{},
	}
	fields := regexp.MustCompile(`^(id|name|owner_id|capacity|max_weight): \S`)

	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.Vessel) {
		h, rsp := fuzzHandler(t), new(vesselpb.Response)
		err := h.Create(asOperator(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest, http.StatusConflict) == 0 {
			v := rsp.GetVessel()
			if !rsp.GetCreated() || v.GetCapacity() != req.GetCapacity() || v.GetMaxWeight() != req.GetMaxWeight() ||
				(req.GetId() != "" && v.GetId() != req.GetId()) {
				t.Errorf("created %v (created %t), want the request %v", v, rsp.GetCreated(), req)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzFindAvailable(f *testing.F) {
	seeds := []*vesselpb.Specification{
		{},
		{Capacity: 3, MaxWeight: 800},
		{Capacity: 51}, // 412
		{MaxWeight: 1 << 30},
		{Capacity: -1},
		{MaxWeight: -1},
	}
	fields := regexp.MustCompile(`^(capacity|max_weight): \S`)

	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.Specification) {
		h, rsp := fuzzHandler(t), new(vesselpb.Response)
		err := h.FindAvailable(asCustomer(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest, http.StatusPreconditionFailed) == 0 {
			v := rsp.GetVessel()
			if !v.GetAvailable() || v.GetRemainingCapacity() < req.GetCapacity() || v.GetRemainingWeight() < req.GetMaxWeight() {
				t.Errorf("found %v, which does not fit %v", v, req)
			}
		}
	})
}

func FuzzRelease(f *testing.F) {
	seeds := []*vesselpb.ReleaseRequest{
		{ConsignmentId: "held"},
		{ConsignmentId: "never-booked"},
		{ConsignmentId: strings.Repeat("x", vessel.MaxIDBytes+1)},
		{},
	}
	fields := regexp.MustCompile(`^consignment_id: \S`)

	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.ReleaseRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.ReleaseResponse)
		err := h.Release(asConsignment(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			if want := req.GetConsignmentId() == "held" || req.GetConsignmentId() == "expired"; rsp.GetReleased() != want {
				t.Errorf("Release(%q) released = %t, want %t", req.GetConsignmentId(), rsp.GetReleased(), want)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzBookBatch(f *testing.F) {
	long := strings.Repeat("x", vessel.MaxIDBytes+1)
	item := func(id string, containers, weight int32) *vesselpb.BookRequest {
		return &vesselpb.BookRequest{ConsignmentId: id, Containers: containers, Weight: weight}
	}
	seeds := []*vesselpb.BookBatchRequest{
		{Holder: "h", HoldMillis: 30000, Items: []*vesselpb.BookRequest{
			item("held", 2, 200),    // a confirmed booking
			item("held", 3, 200),    // CONFLICT
			item("expired", 1, 100), // UNAVAILABLE: its hold ran out
			item("new", 1, 1),
			item("new", 1, 1),  // again, in the same batch
			item("big", 51, 1), // NO_ROOM
			item("", 1, 1),     // INVALID
			item(long, 1, 1),
			item("neg", -1, 1),
			nil,
		}},
		{Holder: "h", HoldMillis: 1, Items: []*vesselpb.BookRequest{item("new", 1, 1<<30)}},
		{Holder: "h", HoldMillis: 86400000},
		{Holder: "h", HoldMillis: 86400001},
		{Holder: "h", HoldMillis: -1},
		{Holder: "h", HoldMillis: 1 << 62},
		{Holder: long, HoldMillis: 1},
		{HoldMillis: 1},
		{},
	}
	fields := regexp.MustCompile(`^(holder|hold_millis|items): \S`)
	itemFields := regexp.MustCompile(`^(consignment_id|containers|weight): \S`)
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.BookBatchRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.BookBatchResponse)
		err := h.BookBatch(asConsignment(t), req, rsp)
		wantRoomNotNegative(t, h)
		if wantClientError(t, err, fields, http.StatusBadRequest) != 0 {
			return
		}
		items, results := req.GetItems(), rsp.GetResults()
		if len(results) != len(items) {
			t.Fatalf("%d results for %d items", len(results), len(items))
		}
		for i, r := range results {
			item, b, e := items[i], r.GetBooking(), r.GetError()
			switch {
			case (b == nil) == (e == nil):
				t.Errorf("result %d %v: want a booking or an error", i, r)
			case b != nil && (b.GetConsignmentId() != item.GetConsignmentId() || b.GetContainers() != item.GetContainers() || b.GetWeight() != item.GetWeight()):
				t.Errorf("result %d: booking %v, want the item %v", i, b, item)
			case b != nil && b.GetConsignmentId() != "held" && (b.GetHolder() != req.GetHolder() || b.GetHeldUntilUnixMillis() <= 0):
				t.Errorf("result %d: booking %v, want it held by the request's holder", i, b)
			case e != nil && !slices.Contains([]string{"INVALID", "CONFLICT", "NO_ROOM", "UNAVAILABLE"}, e.GetReason()):
				t.Errorf("result %d: error %v, want a client error", i, e)
			case e.GetReason() == "INVALID" && !itemFields.MatchString(e.GetDetail()):
				t.Errorf("result %d: INVALID detail %q does not name a field of the item", i, e.GetDetail())
			case e.GetReason() == "UNAVAILABLE" && item.GetConsignmentId() != "expired":
				t.Errorf("result %d: %v for %v, want UNAVAILABLE only for the expired hold", i, e, item)
			}
		}
	})
}

func FuzzConfirmBookings(f *testing.F) {
	seeds := []*vesselpb.ConfirmBookingsRequest{
		{ConsignmentIds: []string{"expired", "held", "never-booked"}},
		{ConsignmentIds: []string{"expired", "expired"}},
		{ConsignmentIds: []string{"expired", ""}},
		{ConsignmentIds: []string{strings.Repeat("x", vessel.MaxIDBytes+1)}},
		{},
	}
	fields := regexp.MustCompile(`^consignment_ids(\[\d+\])?: \S`)
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.ConfirmBookingsRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.ConfirmBookingsResponse)
		err := h.ConfirmBookings(asConsignment(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			want := int32(0) // of the bookings, only "expired" is held
			if slices.Contains(req.GetConsignmentIds(), "expired") {
				want = 1
			}
			if rsp.GetConfirmed() != want {
				t.Errorf("ConfirmBookings(%q) confirmed %d, want %d", req.GetConsignmentIds(), rsp.GetConfirmed(), want)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzListExpiredHolds(f *testing.F) {
	seeds := []*vesselpb.ListExpiredHoldsRequest{
		{Holder: "h", Limit: 10},
		{Holder: "h", Limit: 1000},
		{Holder: "h", Limit: 1001},
		{Holder: "other", Limit: 1},
		{Holder: "h"},
		{Holder: "h", Limit: -1},
		{Holder: strings.Repeat("x", vessel.MaxIDBytes+1), Limit: 1},
		{},
	}
	fields := regexp.MustCompile(`^(holder|limit): \S`)
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.ListExpiredHoldsRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.ListExpiredHoldsResponse)
		err := h.ListExpiredHolds(asConsignment(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			got := rsp.GetBookings()
			if want := req.GetHolder() == "h"; (len(got) == 1 && got[0].GetConsignmentId() == "expired") != want || len(got) > 1 {
				t.Errorf("ListExpiredHolds(%v) = %v, want the expired hold: %t", req, got, want)
			}
		}
	})
}

func FuzzReleaseExpiredHold(f *testing.F) {
	seeds := []*vesselpb.ReleaseRequest{
		{ConsignmentId: "expired"},
		{ConsignmentId: "held"},
		{ConsignmentId: "never-booked"},
		{ConsignmentId: strings.Repeat("x", vessel.MaxIDBytes+1)},
		{},
	}
	fields := regexp.MustCompile(`^consignment_id: \S`)
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *vesselpb.ReleaseRequest) {
		h, rsp := fuzzHandler(t), new(vesselpb.ReleaseResponse)
		err := h.ReleaseExpiredHold(asConsignment(t), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			if want := req.GetConsignmentId() == "expired"; rsp.GetReleased() != want {
				t.Errorf("ReleaseExpiredHold(%q) released = %t, want %t", req.GetConsignmentId(), rsp.GetReleased(), want)
			}
		}
		wantRoomNotNegative(t, h)
	})
}
