package handler_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/platform/rpcerr/rpcerrtest"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// The fuzz targets below feed each RPC every request body that decodes as
// its message (go-micro rejects the others before the handler), over a
// memory store seeded with the test fleet (newHandler) in which consignment "held" holds 2
// containers and 200 kg on vessel "a". Whatever the input, the RPC answers
// nil or one of the client errors its contract names, a 400 names the field
// of the request, and no vessel is left with negative room: bad input is
// never an internal error.

// fuzzHandler returns a handler over the test fleet with "held" booked.
func fuzzHandler(t *testing.T) *handler.Handler {
	t.Helper()
	h, _ := newHandler(t)
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "held", Containers: 2, Weight: 200})
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
		err := h.Book(t.Context(), req, rsp)
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
		err := h.Create(t.Context(), req, rsp)
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
		err := h.FindAvailable(t.Context(), req, rsp)
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
		err := h.Release(t.Context(), req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			if want := req.GetConsignmentId() == "held"; rsp.GetReleased() != want {
				t.Errorf("Release(%q) released = %t, want %t", req.GetConsignmentId(), rsp.GetReleased(), want)
			}
		}
		wantRoomNotNegative(t, h)
	})
}
