package handler_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/platform/rpcerr/rpcerrtest"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// fieldDetail matches the detail of a 400: it starts with the field of the
// request that broke a rule, as the proto names it.
var fieldDetail = regexp.MustCompile(`^(id|description|weight|containers(\[\d+\]\.(id|customer_id|origin|user_id))?|limit|page_token): \S`)

// fuzzNoRoomWeight is the weight from which the fuzzed booker answers
// ErrNoRoom, so that 412 is reachable.
const fuzzNoRoomWeight = 1_000_000

// wantClientError fails t unless err is nil or a go-micro error from the
// consignment service with one of the codes; a 400 must name a field.
// It returns the code, 0 for nil.
func wantClientError(t *testing.T, err error, codes ...int32) int32 {
	t.Helper()
	return rpcerrtest.WantClientError(t, err, consignmentpb.ServiceName, fieldDetail, codes...)
}

// FuzzCreateConsignment feeds CreateConsignment every request body that
// decodes as a Consignment (go-micro rejects the others before the
// handler). Whatever the input, the handler answers nil, 400 naming a
// field, 409 or 412: bad input is never an internal error. Each input gets
// a fresh store that already holds the booked consignment request("c-1"),
// so a different "c-1" conflicts; the booker has no room from
// fuzzNoRoomWeight kg.
func FuzzCreateConsignment(f *testing.F) {
	long := strings.Repeat("x", consignment.MaxIDBytes+1)
	withID := func(id string, edit func(*consignmentpb.Consignment)) *consignmentpb.Consignment {
		c := request(id)
		if edit != nil {
			edit(c)
		}
		return c
	}
	seeds := []*consignmentpb.Consignment{
		request("c-1"), // a retry of the stored one
		request("c-2"),
		request(""),
		{},
		withID("c-1", func(c *consignmentpb.Consignment) { c.Weight++ }), // 409
		withID("c-3", func(c *consignmentpb.Consignment) { c.Weight = fuzzNoRoomWeight }),
		withID("c-3", func(c *consignmentpb.Consignment) { c.Weight = -1 }),
		withID("c-3", func(c *consignmentpb.Consignment) { c.Containers = nil }),
		withID("c-3", func(c *consignmentpb.Consignment) { c.Containers = append(c.Containers, nil) }),
		withID("c-3", func(c *consignmentpb.Consignment) { c.Containers[0].Origin = "" }),
		withID("c-3", func(c *consignmentpb.Consignment) { c.Containers[0].CustomerId = long }),
		withID(long, nil),
		withID("c-3", func(c *consignmentpb.Consignment) {
			c.Description = strings.Repeat("d", consignment.MaxDescriptionBytes+1)
		}),
		withID("c-3", func(c *consignmentpb.Consignment) { c.VesselId = "chosen-by-client" }),
	}
	f.Add([]byte{0xff, 0x00}) // undecodable: skipped

	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *consignmentpb.Consignment) {
		e := newEnv(t, nil)
		if _, err := e.create(t, request("c-1")); err != nil {
			t.Fatalf("storing c-1: %v", err)
		}
		if req.GetWeight() >= fuzzNoRoomWeight {
			e.booker.err = fmt.Errorf("vessel service: %w", consignment.ErrNoRoom)
		}

		rsp, err := e.create(t, req)
		code := wantClientError(t, err, 400, 409, 412)
		stored := len(e.stored(t))
		switch {
		case code != 0 && stored != 1:
			t.Errorf("%d consignments stored after a %d, want only c-1", stored, code)
		case code == 0 && !rsp.GetCreated():
			t.Error("created = false on success")
		case code == 0 && rsp.GetConsignment().GetVesselId() != "vessel001":
			t.Errorf("vessel_id = %q, want vessel001", rsp.GetConsignment().GetVesselId())
		case code == 0 && req.GetId() != "" && rsp.GetConsignment().GetId() != req.GetId():
			t.Errorf("id = %q, want the client's %q", rsp.GetConsignment().GetId(), req.GetId())
		}
	})
}

// FuzzGetConsignments feeds GetConsignments every request body that decodes
// as a GetRequest, over a store of three consignments: any limit and
// page_token gets nil or a 400 naming the field, and a page never holds more
// than limit consignments.
func FuzzGetConsignments(f *testing.F) {
	seeds := []*consignmentpb.GetRequest{
		{},
		{Limit: 1},
		{Limit: 2, PageToken: "c-1"},
		{Limit: -1},
		{Limit: 1 << 30},
		{PageToken: "nonsense"},
		{PageToken: "\x00"},
	}
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *consignmentpb.GetRequest) {
		e := newEnv(t, nil)
		for _, id := range []string{"c-1", "c-2", "c-3"} {
			if _, err := e.create(t, request(id)); err != nil {
				t.Fatalf("storing %s: %v", id, err)
			}
		}
		rsp := new(consignmentpb.Response)
		err := e.h.GetConsignments(as(customer), req, rsp)
		if wantClientError(t, err, 400) != 0 {
			return
		}
		if n, limit := len(rsp.GetConsignments()), req.GetLimit(); limit > 0 && n > int(limit) {
			t.Errorf("page of %d with limit %d", n, limit)
		}
	})
}

// FuzzCancelConsignment feeds CancelConsignment every request body that
// decodes as a CancelRequest, over a store of c-1 (the caller's) and c-2
// (another user's): any id gets nil, 400 naming the field or 404, and only
// c-1 can be cancelled.
func FuzzCancelConsignment(f *testing.F) {
	seeds := []*consignmentpb.CancelRequest{
		{Id: "c-1"},
		{Id: "c-2"},
		{},
		{Id: "\x00"},
		{Id: strings.Repeat("x", consignment.MaxIDBytes+1)},
	}
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *consignmentpb.CancelRequest) {
		e := newEnv(t, nil)
		if _, err := e.createAs(customer, request("c-1")); err != nil {
			t.Fatalf("storing c-1: %v", err)
		}
		if _, err := e.createAs(other, request("c-2")); err != nil {
			t.Fatalf("storing c-2: %v", err)
		}
		rsp, err := e.cancelAs(customer, req.GetId())
		switch code := wantClientError(t, err, 400, 404); {
		case code == 0 && req.GetId() != "c-1":
			t.Errorf("cancelled %q, want only c-1 cancellable", req.GetId())
		case code == 0 && rsp.GetConsignment().GetId() != "c-1":
			t.Errorf("answered %v, want c-1", rsp.GetConsignment())
		}
		if got := e.listAs(t, other); len(got) != 1 {
			t.Errorf("another user's consignments: %v, want c-2 still listed", got)
		}
	})
}
