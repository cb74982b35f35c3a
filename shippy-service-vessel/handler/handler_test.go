package handler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/proto"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// t0 is the time on the handlers' clocks when a test starts.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

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

// Add moves the clock on by d.
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newHandler returns a Handler over a memory store seeded with the test
// fleet, in id order: "a" small, "b" large but not available, "c" large;
// and the buffer its logger writes to. Its clock reads t0.
func newHandler(t *testing.T) (*handler.Handler, *bytes.Buffer) {
	t.Helper()
	h, logs, _ := newClockedHandler(t)
	return h, logs
}

// newClockedHandler is newHandler, with the clock of the handler's
// service, which reads t0 until moved.
func newClockedHandler(t *testing.T) (*handler.Handler, *bytes.Buffer, *clock) {
	t.Helper()
	c := &clock{now: t0}
	svc, err := vessel.NewService(memory.New(), func() string { return "new-id" }, c.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	fleet := []vessel.Vessel{
		{ID: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true},
		{ID: "b", Name: "closed", Capacity: 1000, MaxWeight: 1000000, Available: false},
		{ID: "c", Name: "large", Capacity: 50, MaxWeight: 50000, Available: true},
	}
	if err := svc.Seed(t.Context(), fleet); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	h, logs := newHandlerOver(t, svc)
	return h, logs, c
}

// newHandlerOver returns a Handler serving svc, and the buffer its logger
// writes to.
func newHandlerOver(t *testing.T, svc handler.Service) (*handler.Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := handler.New(svc, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	if err != nil {
		t.Fatalf("handler.New: %v", err)
	}
	return h, &logs
}

func TestNewChecksDependencies(t *testing.T) {
	t.Parallel()
	svc, err := vessel.NewService(memory.New(), func() string { return "x" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	if _, err := handler.New(nil, slog.Default(), nil); err == nil {
		t.Error("New(nil service) succeeded, want an error")
	}
	if _, err := handler.New(svc, nil, nil); err == nil {
		t.Error("New(nil logger) succeeded, want an error")
	}
}

func TestFindAvailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		booked     *vesselpb.BookRequest // booked first, if not nil
		req        *vesselpb.Specification
		want       *vesselpb.Vessel
		wantCode   int32
		wantDetail string
	}{
		{
			name: "first fit",
			req:  &vesselpb.Specification{Capacity: 5, MaxWeight: 1000},
			want: &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 5, RemainingWeight: 1000},
		},
		{
			name:   "by the room left",
			booked: &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 800},
			req:    &vesselpb.Specification{Capacity: 1, MaxWeight: 201},
			want:   &vesselpb.Vessel{Id: "c", Name: "large", Capacity: 50, MaxWeight: 50000, Available: true, RemainingCapacity: 50, RemainingWeight: 50000},
		},
		{
			name:   "remaining room reported",
			booked: &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 800},
			req:    &vesselpb.Specification{Capacity: 1, MaxWeight: 200},
			want:   &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 4, RemainingWeight: 200},
		},
		{
			name: "nil request asks for no room",
			req:  nil,
			want: &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 5, RemainingWeight: 1000},
		},
		{name: "no vessel fits, unavailable ones aside", req: &vesselpb.Specification{Capacity: 51}, wantCode: http.StatusPreconditionFailed, wantDetail: "no vessel has room for 51 containers and 0 kg"},
		{name: "negative", req: &vesselpb.Specification{MaxWeight: -1}, wantCode: http.StatusBadRequest, wantDetail: "max_weight: must not be negative, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := newHandler(t)
			if tt.booked != nil {
				mustBook(t, h, tt.booked)
			}
			rsp := &vesselpb.Response{}
			err := h.FindAvailable(asCustomer(t), tt.req, rsp)
			if !succeeded(t, "FindAvailable", err, tt.wantCode, tt.wantDetail) {
				return
			}
			if !proto.Equal(rsp.GetVessel(), tt.want) {
				t.Errorf("FindAvailable vessel = %v, want %v", rsp.GetVessel(), tt.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		req        *vesselpb.Vessel
		want       *vesselpb.Vessel
		wantCode   int32
		wantDetail string
	}{
		{
			name: "id assigned, remaining room set by the service",
			req:  &vesselpb.Vessel{Name: "n", Capacity: 3, MaxWeight: 30, Available: true, OwnerId: "o", RemainingCapacity: 1},
			want: &vesselpb.Vessel{Id: "new-id", Name: "n", Capacity: 3, MaxWeight: 30, Available: true, OwnerId: "o", RemainingCapacity: 3, RemainingWeight: 30},
		},
		{
			name: "retry of an existing vessel",
			req:  &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true},
			want: &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 5, RemainingWeight: 1000},
		},
		{name: "id taken by a different vessel", req: &vesselpb.Vessel{Id: "a", Name: "other", Capacity: 5, MaxWeight: 1000, Available: true}, wantCode: http.StatusConflict, wantDetail: `vessel "a": id already used with different contents`},
		{name: "no max_weight", req: &vesselpb.Vessel{Id: "z", Capacity: 5}, wantCode: http.StatusBadRequest, wantDetail: "max_weight: must be positive, got 0"},
		{name: "name too long", req: &vesselpb.Vessel{Name: strings.Repeat("n", 129), Capacity: 5, MaxWeight: 5}, wantCode: http.StatusBadRequest, wantDetail: "name: longer than 128 bytes"},
		{name: "nil request", req: nil, wantCode: http.StatusBadRequest, wantDetail: "capacity: must be positive, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := newHandler(t)
			rsp := &vesselpb.Response{}
			err := h.Create(asOperator(t), tt.req, rsp)
			if !succeeded(t, "Create", err, tt.wantCode, tt.wantDetail) {
				return
			}
			if !rsp.GetCreated() {
				t.Error("Create: created = false, want true")
			}
			if !proto.Equal(rsp.GetVessel(), tt.want) {
				t.Errorf("Create vessel = %v, want %v", rsp.GetVessel(), tt.want)
			}
			assertListed(t, h, tt.want)
		})
	}
}

func TestBook(t *testing.T) {
	t.Parallel()
	// c1 fits the small vessel "a", leaving it smallAfterC1.
	c1 := &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 2, Weight: 300}
	c1Booked := &vesselpb.Booking{ConsignmentId: "c1", VesselId: "a", Containers: 2, Weight: 300}
	smallAfterC1 := &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 3, RemainingWeight: 700}
	tests := []struct {
		name        string
		before      []*vesselpb.BookRequest // booked first
		req         *vesselpb.BookRequest
		wantBooking *vesselpb.Booking
		wantVessel  *vesselpb.Vessel
		wantCode    int32
		wantDetail  string
	}{
		{name: "first fit", req: c1, wantBooking: c1Booked, wantVessel: smallAfterC1},
		{name: "retry takes no more room", before: []*vesselpb.BookRequest{c1}, req: c1, wantBooking: c1Booked, wantVessel: smallAfterC1},
		{
			name:        "next vessel when the first is full, skipping the unavailable one",
			before:      []*vesselpb.BookRequest{{ConsignmentId: "c1", Containers: 5, Weight: 10}},
			req:         &vesselpb.BookRequest{ConsignmentId: "c2", Containers: 1, Weight: 10},
			wantBooking: &vesselpb.Booking{ConsignmentId: "c2", VesselId: "c", Containers: 1, Weight: 10},
			wantVessel:  &vesselpb.Vessel{Id: "c", Name: "large", Capacity: 50, MaxWeight: 50000, Available: true, RemainingCapacity: 49, RemainingWeight: 49990},
		},
		{
			name:       "same consignment, other size",
			before:     []*vesselpb.BookRequest{c1},
			req:        &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 3, Weight: 300},
			wantCode:   http.StatusConflict,
			wantDetail: `consignment "c1" is booked with 2 containers and 300 kg: id already used with different contents`,
		},
		{name: "only the unavailable vessel is large enough", req: &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 500, Weight: 10}, wantCode: http.StatusPreconditionFailed, wantDetail: "no vessel has room for 500 containers and 10 kg"},
		{name: "too heavy", req: &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 50001}, wantCode: http.StatusPreconditionFailed, wantDetail: "no vessel has room for 1 container and 50001 kg"},
		{name: "no containers", req: &vesselpb.BookRequest{ConsignmentId: "c1", Weight: 1}, wantCode: http.StatusBadRequest, wantDetail: "containers: must be positive, got 0"},
		{name: "nil request", req: nil, wantCode: http.StatusBadRequest, wantDetail: "consignment_id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := newHandler(t)
			for _, req := range tt.before {
				mustBook(t, h, req)
			}
			before := list(t, h)
			rsp := &vesselpb.BookResponse{}
			err := h.Book(asConsignment(t), tt.req, rsp)
			if !succeeded(t, "Book", err, tt.wantCode, tt.wantDetail) {
				if after := list(t, h); !protoSliceEqual(after, before) {
					t.Errorf("failed Book changed the fleet:\n got %v\nwant %v", after, before)
				}
				return
			}
			if !proto.Equal(rsp.GetBooking(), tt.wantBooking) {
				t.Errorf("Book booking = %v, want %v", rsp.GetBooking(), tt.wantBooking)
			}
			if !proto.Equal(rsp.GetVessel(), tt.wantVessel) {
				t.Errorf("Book vessel = %v, want %v", rsp.GetVessel(), tt.wantVessel)
			}
			assertListed(t, h, tt.wantVessel)
		})
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 5, Weight: 1000})

	tests := []struct {
		name         string
		req          *vesselpb.ReleaseRequest
		wantReleased bool
		wantCode     int32
		wantDetail   string
	}{
		{name: "booked", req: &vesselpb.ReleaseRequest{ConsignmentId: "c1"}, wantReleased: true},
		{name: "again", req: &vesselpb.ReleaseRequest{ConsignmentId: "c1"}, wantReleased: false},
		{name: "never booked", req: &vesselpb.ReleaseRequest{ConsignmentId: "c9"}, wantReleased: false},
		{name: "nil request", req: nil, wantCode: http.StatusBadRequest, wantDetail: "consignment_id: required"},
	}
	for _, tt := range tests { // in order: each step sees the one before
		rsp := &vesselpb.ReleaseResponse{}
		err := h.Release(asConsignment(t), tt.req, rsp)
		if !succeeded(t, "Release "+tt.name, err, tt.wantCode, tt.wantDetail) {
			continue
		}
		if rsp.GetReleased() != tt.wantReleased {
			t.Errorf("Release %s: released = %t, want %t", tt.name, rsp.GetReleased(), tt.wantReleased)
		}
	}
	// The room is back on "a".
	assertListed(t, h, &vesselpb.Vessel{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 5, RemainingWeight: 1000})
}

func TestListVessels(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 100})
	want := []*vesselpb.Vessel{
		{Id: "a", Name: "small", Capacity: 5, MaxWeight: 1000, Available: true, RemainingCapacity: 4, RemainingWeight: 900},
		{Id: "b", Name: "closed", Capacity: 1000, MaxWeight: 1000000, RemainingCapacity: 1000, RemainingWeight: 1000000},
		{Id: "c", Name: "large", Capacity: 50, MaxWeight: 50000, Available: true, RemainingCapacity: 50, RemainingWeight: 50000},
	}
	if got := list(t, h); !protoSliceEqual(got, want) {
		t.Errorf("ListVessels =\n %v\nwant\n %v", got, want)
	}
	rsp := &vesselpb.ListVesselsResponse{}
	if err := h.ListVessels(asCustomer(t), nil, rsp); err != nil || !protoSliceEqual(rsp.GetVessels(), want) {
		t.Errorf("ListVessels(nil) = %v, %v; want the fleet", rsp.GetVessels(), err)
	}
}

func TestStoreFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantCode   int32
		wantDetail string
		wantLog    string // the level of the one log line; "" for none
	}{
		{"unavailable", fmt.Errorf("mongo: %w", vessel.ErrUnavailable), http.StatusServiceUnavailable, "vessel store unavailable", "WARN"},
		{"deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), http.StatusRequestTimeout, "deadline exceeded or call cancelled", ""},
		{"broken", errors.New("disk on fire"), http.StatusInternalServerError, "internal error", "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, logs := newHandlerOver(t, failingService{err: tt.err})
			err := h.ListVessels(asCustomer(t), &vesselpb.ListVesselsRequest{}, &vesselpb.ListVesselsResponse{})
			assertMicroError(t, err, tt.wantCode, tt.wantDetail)
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if tt.wantLog == "" {
				if logs.Len() != 0 {
					t.Errorf("logged %q, want nothing", logs)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("logged %d lines, want 1: %q", len(lines), logs)
			}
			for _, want := range []string{`"level":"` + tt.wantLog + `"`, `"method":"ListVessels"`, tt.err.Error()} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("log line %q does not contain %q", lines[0], want)
				}
			}
			if strings.Contains(err.Error(), tt.err.Error()) {
				t.Errorf("error sent to the client %q reveals the internal error %q", err, tt.err)
			}
		})
	}
}

// failingService is a vessel service whose List fails with err.
type failingService struct {
	handler.Service
	err error
}

func (s failingService) List(context.Context) ([]vessel.Vessel, error) { return nil, s.err }

func mustBook(t *testing.T, h *handler.Handler, req *vesselpb.BookRequest) {
	t.Helper()
	if err := h.Book(asConsignment(t), req, &vesselpb.BookResponse{}); err != nil {
		t.Fatalf("Book(%v): %v", req, err)
	}
}

func list(t *testing.T, h *handler.Handler) []*vesselpb.Vessel {
	t.Helper()
	rsp := &vesselpb.ListVesselsResponse{}
	if err := h.ListVessels(asCustomer(t), &vesselpb.ListVesselsRequest{}, rsp); err != nil {
		t.Fatalf("ListVessels: %v", err)
	}
	return rsp.GetVessels()
}

// assertListed checks that ListVessels shows want as it is.
func assertListed(t *testing.T, h *handler.Handler, want *vesselpb.Vessel) {
	t.Helper()
	for _, v := range list(t, h) {
		if v.GetId() == want.GetId() {
			if !proto.Equal(v, want) {
				t.Errorf("ListVessels shows %v, want %v", v, want)
			}
			return
		}
	}
	t.Errorf("ListVessels does not show vessel %q", want.GetId())
}

// succeeded reports whether the call of method succeeded, as it must when
// wantCode is 0; otherwise it fails t unless err is the go-micro error with
// wantCode and wantDetail.
func succeeded(t *testing.T, method string, err error, wantCode int32, wantDetail string) bool {
	t.Helper()
	if wantCode != 0 {
		assertMicroError(t, err, wantCode, wantDetail)
		return false
	}
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return true
}

// assertMicroError checks that err is a go-micro error from the vessel
// service with the code and detail.
func assertMicroError(t *testing.T, err error, code int32, detail string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %q", code, detail)
	}
	got := microerrors.FromError(err)
	if got.Code != code || got.Detail != detail || got.Id != vesselpb.ServiceName {
		t.Errorf("got error %d %q from %q, want %d %q from %q",
			got.Code, got.Detail, got.Id, code, detail, vesselpb.ServiceName)
	}
}

func protoSliceEqual(a, b []*vesselpb.Vessel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
