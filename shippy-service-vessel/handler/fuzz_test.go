package handler_test

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/proto"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// The fuzz targets below feed each RPC every request body that decodes as
// its message (go-micro rejects the others before the handler), over a
// memory store seeded with testFleet in which consignment "held" holds 2
// containers and 200 kg on vessel "a". Whatever the input, the RPC answers
// nil or one of the client errors its contract names, a 400 names the field
// of the request, and no vessel is left with negative room: bad input is
// never an internal error.

// fuzzHandler returns a handler over testFleet with "held" booked.
func fuzzHandler(t *testing.T) *handler.Handler {
	t.Helper()
	h, _ := newHandler(t, testFleet...)
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "held", Containers: 2, Weight: 200})
	return h
}

// mustMarshal marshals m for a seed.
func mustMarshal(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatalf("proto.Marshal(%v): %v", m, err)
	}
	return b
}

// decodeOrSkip unmarshals data into m, or skips the input.
func decodeOrSkip(t *testing.T, data []byte, m proto.Message) {
	t.Helper()
	if err := proto.Unmarshal(data, m); err != nil {
		t.Skip("undecodable: go-micro answers before the handler")
	}
}

// wantClientError fails t unless err is nil or a go-micro error from the
// vessel service with one of the codes; a 400's detail must start with one
// of fields and ": ". It returns the code, 0 for nil.
func wantClientError(t *testing.T, err error, fields *regexp.Regexp, codes ...int32) int32 {
	t.Helper()
	if err == nil {
		return 0
	}
	var merr *microerrors.Error
	if !errors.As(err, &merr) {
		t.Fatalf("got %v (%T), want a go-micro error", err, err)
	}
	ok := false
	for _, c := range codes {
		ok = ok || merr.Code == c
	}
	if !ok || merr.Id != vesselpb.ServiceName {
		t.Fatalf("got {id %q, code %d, detail %q}, want id %q and a code in %v",
			merr.Id, merr.Code, merr.Detail, vesselpb.ServiceName, codes)
	}
	if merr.Code == http.StatusBadRequest && !fields.MatchString(merr.Detail) {
		t.Fatalf("400 detail %q does not start with a field of the request (%s)", merr.Detail, fields)
	}
	return merr.Code
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
	for _, s := range []*vesselpb.BookRequest{
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
	} {
		f.Add(mustMarshal(f, s))
	}
	fields := regexp.MustCompile(`^(consignment_id|containers|weight): \S`)

	f.Fuzz(func(t *testing.T, data []byte) {
		var req vesselpb.BookRequest
		decodeOrSkip(t, data, &req)
		h := fuzzHandler(t)
		rsp := new(vesselpb.BookResponse)
		err := h.Book(t.Context(), &req, rsp)
		code := wantClientError(t, err, fields, http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed)
		if code == 0 {
			b := rsp.GetBooking()
			if b.GetConsignmentId() != req.GetConsignmentId() || b.GetContainers() != req.GetContainers() ||
				b.GetWeight() != req.GetWeight() || b.GetVesselId() != rsp.GetVessel().GetId() {
				t.Errorf("booking %v on vessel %q, want the request %v", b, rsp.GetVessel().GetId(), &req)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzCreate(f *testing.F) {
	long := strings.Repeat("x", vessel.MaxIDBytes+1)
	for _, s := range []*vesselpb.Vessel{
		{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true}, // a retry
		{Id: "a", Name: "other", Capacity: 5, MaxWeight: 1000, Available: true}, // 409
		{Id: "d", Name: "new", Capacity: 1, MaxWeight: 1, RemainingCapacity: -5},
		{Name: "no id", Capacity: 1, MaxWeight: 1},
		{Id: "d", Capacity: 0, MaxWeight: 1},
		{Id: "d", Capacity: 1, MaxWeight: -1},
		{Id: long, Capacity: 1, MaxWeight: 1},
		{Id: "d", OwnerId: long, Capacity: 1, MaxWeight: 1},
		{},
	} {
		f.Add(mustMarshal(f, s))
	}
	fields := regexp.MustCompile(`^(id|name|owner_id|capacity|max_weight): \S`)

	f.Fuzz(func(t *testing.T, data []byte) {
		var req vesselpb.Vessel
		decodeOrSkip(t, data, &req)
		h := fuzzHandler(t)
		rsp := new(vesselpb.Response)
		err := h.Create(t.Context(), &req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest, http.StatusConflict) == 0 {
			v := rsp.GetVessel()
			if !rsp.GetCreated() || v.GetCapacity() != req.GetCapacity() || v.GetMaxWeight() != req.GetMaxWeight() ||
				(req.GetId() != "" && v.GetId() != req.GetId()) {
				t.Errorf("created %v (created %t), want the request %v", v, rsp.GetCreated(), &req)
			}
		}
		wantRoomNotNegative(t, h)
	})
}

func FuzzFindAvailable(f *testing.F) {
	for _, s := range []*vesselpb.Specification{
		{},
		{Capacity: 3, MaxWeight: 800},
		{Capacity: 51}, // 412
		{MaxWeight: 1 << 30},
		{Capacity: -1},
		{MaxWeight: -1},
	} {
		f.Add(mustMarshal(f, s))
	}
	fields := regexp.MustCompile(`^(capacity|max_weight): \S`)

	f.Fuzz(func(t *testing.T, data []byte) {
		var req vesselpb.Specification
		decodeOrSkip(t, data, &req)
		h := fuzzHandler(t)
		rsp := new(vesselpb.Response)
		err := h.FindAvailable(t.Context(), &req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest, http.StatusPreconditionFailed) == 0 {
			v := rsp.GetVessel()
			if !v.GetAvailable() || v.GetRemainingCapacity() < req.GetCapacity() || v.GetRemainingWeight() < req.GetMaxWeight() {
				t.Errorf("found %v, which does not fit %v", v, &req)
			}
		}
	})
}

func FuzzRelease(f *testing.F) {
	for _, s := range []*vesselpb.ReleaseRequest{
		{ConsignmentId: "held"},
		{ConsignmentId: "never-booked"},
		{ConsignmentId: strings.Repeat("x", vessel.MaxIDBytes+1)},
		{},
	} {
		f.Add(mustMarshal(f, s))
	}
	fields := regexp.MustCompile(`^consignment_id: \S`)

	f.Fuzz(func(t *testing.T, data []byte) {
		var req vesselpb.ReleaseRequest
		decodeOrSkip(t, data, &req)
		h := fuzzHandler(t)
		rsp := new(vesselpb.ReleaseResponse)
		err := h.Release(t.Context(), &req, rsp)
		if wantClientError(t, err, fields, http.StatusBadRequest) == 0 {
			if want := req.GetConsignmentId() == "held"; rsp.GetReleased() != want {
				t.Errorf("Release(%q) released = %t, want %t", req.GetConsignmentId(), rsp.GetReleased(), want)
			}
		}
		wantRoomNotNegative(t, h)
	})
}
