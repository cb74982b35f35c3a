package handler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/outbox"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/announce"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
)

// fakeBooker is a consignment.Booker that books everything onto one vessel,
// held, or fails with err, and counts what it was asked.
type fakeBooker struct {
	mu        sync.Mutex
	err       error          // returned by Book when set
	books     map[string]int // Book calls by consignment id
	held      map[string]bool
	confirmed map[string]bool
	released  []string
}

func newFakeBooker() *fakeBooker {
	return &fakeBooker{books: make(map[string]int), held: make(map[string]bool), confirmed: make(map[string]bool)}
}

func (b *fakeBooker) Book(_ context.Context, id string, containers, weight int32) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.books[id]++
	if b.err != nil {
		return "", b.err
	}
	b.held[id] = true
	return "vessel001", nil
}

func (b *fakeBooker) Confirm(_ context.Context, ids []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		if b.held[id] {
			delete(b.held, id)
			b.confirmed[id] = true
		}
	}
	return nil
}

func (b *fakeBooker) ExpiredHolds(context.Context, int) ([]string, error) { return nil, nil }

func (b *fakeBooker) ReleaseExpiredHold(context.Context, string) (bool, error) { return false, nil }

func (b *fakeBooker) Release(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.released = append(b.released, id)
	delete(b.held, id)
	delete(b.confirmed, id)
	return nil
}

// failingRepo is a repository whose Create always fails.
type failingRepo struct {
	consignment.Repository
	err error
}

func (r failingRepo) Create(context.Context, consignment.Consignment, ...outbox.Message) error {
	return r.err
}

// newAnnouncer returns the service's announcer, with random event ids.
func newAnnouncer(t *testing.T) *announce.Announcer {
	t.Helper()
	a, err := announce.New(uuid.NewString)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// env is one handler over its own service, repository and booker.
type env struct {
	h      *handler.Handler
	svc    *consignment.Service
	repo   consignment.Repository
	booker *fakeBooker
	logs   *bytes.Buffer
}

// newEnv returns a handler over a fresh memory repository (wrapped by wrap,
// when given) and a fake booker. Generated ids are "id-1", "id-2", ...
func newEnv(t *testing.T, wrap func(consignment.Repository) consignment.Repository) *env {
	t.Helper()
	e := &env{repo: memory.New(), booker: newFakeBooker(), logs: new(bytes.Buffer)}
	if wrap != nil {
		e.repo = wrap(e.repo)
	}
	logger := slog.New(slog.NewTextHandler(&syncWriter{w: e.logs}, nil))
	var mu sync.Mutex
	n := 0
	newID := func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("id-%d", n)
	}
	var err error
	if e.svc, err = consignment.NewService(e.repo, e.booker, newAnnouncer(t), newID, time.Now, logger); err != nil {
		t.Fatalf("NewService() = %v", err)
	}
	if e.h, err = handler.New(e.svc, logger, nil); err != nil {
		t.Fatalf("handler.New() = %v", err)
	}
	return e
}

// syncWriter makes a writer safe for the concurrent calls in a test.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// request returns a valid CreateConsignment request with the id.
func request(id string) *consignmentpb.Consignment {
	return &consignmentpb.Consignment{
		Id:          id,
		Description: "This is a test consignment",
		Weight:      55000,
		Containers: []*consignmentpb.Container{
			{Id: "box-1", CustomerId: "cust001", Origin: "Manchester, United Kingdom", UserId: "user001"},
		},
	}
}

// Callers of the tests, as the auth wrapper would put them in a handler's
// context.
var (
	customer = auth.Claims{Subject: "user-1", Role: auth.RoleCustomer}
	other    = auth.Claims{Subject: "user-2", Role: auth.RoleCustomer}
	operator = auth.Claims{Subject: "user-9", Role: auth.RoleOperator}
	service  = auth.Claims{Subject: "shippy.service.other", Role: auth.RoleService}
)

// as returns a context of a call by the holder of c.
func as(c auth.Claims) context.Context {
	return auth.WithClaims(context.Background(), c)
}

// create calls CreateConsignment as customer and returns its response.
func (e *env) create(t *testing.T, req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
	t.Helper()
	return e.createAs(customer, req)
}

// createAs calls CreateConsignment as the holder of c.
func (e *env) createAs(c auth.Claims, req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
	rsp := new(consignmentpb.Response)
	err := e.h.CreateConsignment(as(c), req, rsp)
	return rsp, err
}

// listAs returns the ids GetConsignments lists for the holder of c, in one
// page, or fails t.
func (e *env) listAs(t *testing.T, c auth.Claims) []string {
	t.Helper()
	rsp := new(consignmentpb.Response)
	if err := e.h.GetConsignments(as(c), &consignmentpb.GetRequest{}, rsp); err != nil {
		t.Fatalf("GetConsignments as %s = %v", c.Subject, err)
	}
	ids := []string{}
	for _, p := range rsp.GetConsignments() {
		ids = append(ids, p.GetId())
	}
	return ids
}

// cancelAs calls CancelConsignment for id as the holder of c.
func (e *env) cancelAs(c auth.Claims, id string) (*consignmentpb.CancelResponse, error) {
	rsp := new(consignmentpb.CancelResponse)
	err := e.h.CancelConsignment(as(c), &consignmentpb.CancelRequest{Id: id}, rsp)
	return rsp, err
}

// stored returns every stored consignment.
func (e *env) stored(t *testing.T) []consignment.Consignment {
	t.Helper()
	items, _, err := e.repo.List(context.Background(), "", 0, "")
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	return items
}

// wantMicroError fails t unless err is a go-micro error with the code whose
// detail starts with detailPrefix.
func wantMicroError(t *testing.T, err error, code int32, detailPrefix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %d %q", code, detailPrefix)
	}
	var merr *microerrors.Error
	if !errors.As(err, &merr) {
		t.Fatalf("got %v (%T), want a *errors.Error", err, err)
	}
	if merr.Code != code || !strings.HasPrefix(merr.Detail, detailPrefix) || merr.Id != consignmentpb.ServiceName {
		t.Errorf("got {id %q, code %d, detail %q}, want {id %q, code %d, detail starting %q}",
			merr.Id, merr.Code, merr.Detail, consignmentpb.ServiceName, code, detailPrefix)
	}
}

func TestCreateConsignment(t *testing.T) {
	t.Parallel()
	withVessel := request("c-1")
	withVessel.VesselId = "chosen-by-client"
	nilContainer := request("c-1")
	nilContainer.Containers = append(nilContainer.Containers, nil)
	noOrigin := request("c-1")
	noOrigin.Containers[0].Origin = ""

	tests := []struct {
		name       string
		req        *consignmentpb.Consignment
		bookErr    error
		wantID     string // of the created consignment; empty when an error is wanted
		wantCode   int32
		wantDetail string // prefix
		wantBooks  int
		wantLogged string // a line the log must hold, once
	}{
		{name: "created with the client's id", req: request("c-1"), wantID: "c-1", wantBooks: 1},
		{name: "created with a generated id", req: request(""), wantID: "id-1", wantBooks: 1},
		{name: "client's vessel id ignored", req: withVessel, wantID: "c-1", wantBooks: 1},
		{name: "nil request", req: nil, wantCode: 400, wantDetail: "weight: must be positive, got 0"},
		{name: "empty request", req: &consignmentpb.Consignment{}, wantCode: 400, wantDetail: "weight: must be positive, got 0"},
		{name: "invalid field", req: noOrigin, wantCode: 400, wantDetail: "containers[0].origin: required"},
		{name: "nil container", req: nilContainer, wantCode: 400, wantDetail: "containers[1].customer_id: required"},
		{name: "no room", req: request("c-1"), bookErr: fmt.Errorf("vessel service: %w", consignment.ErrNoRoom), wantCode: 412, wantDetail: "no vessel has room", wantBooks: 1},
		{name: "booked with other sizes", req: request("c-1"), bookErr: consignment.ErrConflict, wantCode: 409, wantDetail: "consignment id already used", wantBooks: 1},
		{name: "vessel service unavailable", req: request("c-1"), bookErr: fmt.Errorf("vessel service: %w: no instance", consignment.ErrUnavailable), wantCode: 503, wantDetail: "vessel service unavailable", wantBooks: 1, wantLogged: "no instance"},
		{name: "internal error", req: request("c-1"), bookErr: errors.New("vessel service: 400 weird"), wantCode: 500, wantDetail: "internal error", wantBooks: 1, wantLogged: "400 weird"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.booker.err = tt.bookErr
			rsp, err := e.create(t, tt.req)

			if books := e.booker.books[tt.wantID]; tt.wantID != "" && books != tt.wantBooks {
				t.Errorf("Book called %d times for %q, want %d", books, tt.wantID, tt.wantBooks)
			}
			if tt.wantLogged != "" {
				if n := strings.Count(e.logs.String(), tt.wantLogged); n != 1 {
					t.Errorf("log holds %q %d times, want once; log:\n%s", tt.wantLogged, n, e.logs)
				}
			}
			if tt.wantID == "" {
				wantMicroError(t, err, tt.wantCode, tt.wantDetail)
				if got := len(e.stored(t)); got != 0 {
					t.Errorf("%d consignments stored after a failed create, want 0", got)
				}
				total := 0
				for _, n := range e.booker.books {
					total += n
				}
				if total != tt.wantBooks {
					t.Errorf("Book called %d times, want %d", total, tt.wantBooks)
				}
				return
			}

			if err != nil {
				t.Fatalf("CreateConsignment() = %v, want nil", err)
			}
			want := request(tt.wantID)
			want.VesselId, want.OwnerId = "vessel001", customer.Subject
			if !rsp.GetCreated() {
				t.Error("response created = false, want true")
			}
			if diff := cmp.Diff(want, rsp.GetConsignment(), protocmp.Transform()); diff != "" {
				t.Errorf("response consignment (-want +got):\n%s", diff)
			}
			stored := e.stored(t)
			if len(stored) != 1 || stored[0].ID != tt.wantID || stored[0].VesselID != "vessel001" {
				t.Errorf("stored %+v, want one consignment %q on vessel001", stored, tt.wantID)
			}
		})
	}
}

func TestCreateConsignmentRetryBooksOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first, err := e.create(t, request("c-1"))
	if err != nil {
		t.Fatalf("first CreateConsignment() = %v", err)
	}
	retry := request("c-1")
	retry.VesselId = "another-vessel" // not part of the request: still the same
	second, err := e.create(t, retry)
	if err != nil {
		t.Fatalf("retried CreateConsignment() = %v, want nil", err)
	}
	if diff := cmp.Diff(first, second, protocmp.Transform()); diff != "" {
		t.Errorf("retry answered differently (-first +retry):\n%s", diff)
	}
	if got := e.booker.books["c-1"]; got != 1 {
		t.Errorf("Book called %d times, want 1", got)
	}
	if got := len(e.stored(t)); got != 1 {
		t.Errorf("%d consignments stored, want 1", got)
	}
}

func TestCreateConsignmentConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if _, err := e.create(t, request("c-1")); err != nil {
		t.Fatalf("first CreateConsignment() = %v", err)
	}
	different := request("c-1")
	different.Weight++
	_, err := e.create(t, different)
	wantMicroError(t, err, 409, consignment.ErrConflict.Error())
	if got := e.booker.books["c-1"]; got != 1 {
		t.Errorf("Book called %d times, want 1 (a conflict books nothing)", got)
	}
	if stored := e.stored(t); len(stored) != 1 || stored[0].Weight != request("c-1").Weight {
		t.Errorf("stored %+v, want the first consignment unchanged", stored)
	}
}

func TestCreateConsignmentStoreFailureConfirmsNothing(t *testing.T) {
	t.Parallel()
	storeErr := errors.New("disk on fire")
	e := newEnv(t, func(r consignment.Repository) consignment.Repository { return failingRepo{r, storeErr} })
	_, err := e.create(t, request("c-1"))
	wantMicroError(t, err, 500, "internal error")
	// The room is held before the consignment is stored; a store that
	// fails leaves the hold unconfirmed, for recovery to release.
	if got := e.booker.books["c-1"]; got != 1 {
		t.Errorf("Book called %d times, want 1", got)
	}
	if err := e.svc.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if len(e.booker.confirmed) != 0 || !e.booker.held["c-1"] {
		t.Errorf("after the store failed: confirmed %v, held %v; want c-1 held, unconfirmed", e.booker.confirmed, e.booker.held)
	}
	if n := strings.Count(e.logs.String(), "disk on fire"); n < 1 {
		t.Errorf("the store error was not logged; log:\n%s", e.logs)
	}
}

func TestGetConsignments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var all []string
	for i := range 5 {
		id := fmt.Sprintf("c-%d", i)
		all = append(all, id)
		if _, err := e.create(t, request(id)); err != nil {
			t.Fatalf("CreateConsignment(%s) = %v", id, err)
		}
	}
	list := func(req *consignmentpb.GetRequest) (*consignmentpb.Response, error) {
		rsp := new(consignmentpb.Response)
		return rsp, e.h.GetConsignments(as(customer), req, rsp)
	}
	ids := func(rsp *consignmentpb.Response) []string {
		var out []string
		for _, c := range rsp.GetConsignments() {
			out = append(out, c.GetId())
		}
		return out
	}

	t.Run("no paging fields: a default page, here all five", func(t *testing.T) {
		for _, req := range []*consignmentpb.GetRequest{nil, {}} {
			rsp, err := list(req)
			if err != nil {
				t.Fatalf("GetConsignments(%v) = %v", req, err)
			}
			if diff := cmp.Diff(all, ids(rsp)); diff != "" {
				t.Errorf("GetConsignments(%v) ids (-want +got):\n%s", req, diff)
			}
			if rsp.GetNextPageToken() != "" {
				t.Errorf("next_page_token = %q, want empty", rsp.GetNextPageToken())
			}
			if got := rsp.GetConsignments()[0].GetVesselId(); got != "vessel001" {
				t.Errorf("vessel_id = %q, want vessel001", got)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		var got []string
		req := &consignmentpb.GetRequest{Limit: 2}
		for pages := 1; ; pages++ {
			rsp, err := list(req)
			if err != nil {
				t.Fatalf("GetConsignments(%v) = %v", req, err)
			}
			if n := len(rsp.GetConsignments()); n > 2 {
				t.Fatalf("page of %d, want at most 2", n)
			}
			got = append(got, ids(rsp)...)
			if rsp.GetNextPageToken() == "" {
				if pages != 3 {
					t.Errorf("%d pages, want 3", pages)
				}
				break
			}
			req.PageToken = rsp.GetNextPageToken()
		}
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("ids across pages (-want +got):\n%s", diff)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		tests := []struct {
			req        *consignmentpb.GetRequest
			wantDetail string
		}{
			{req: &consignmentpb.GetRequest{PageToken: "nonsense"}, wantDetail: "page_token: "},
			{req: &consignmentpb.GetRequest{Limit: -1}, wantDetail: "limit: must not be negative, got -1"},
		}
		for _, tt := range tests {
			_, err := list(tt.req)
			wantMicroError(t, err, 400, tt.wantDetail)
		}
	})
}

// TestGetConsignmentsPageSizes stores more consignments than the largest
// page: a request without a limit gets the default page and a token, a
// larger limit than the maximum gets the maximum (AIP-158).
func TestGetConsignmentsPageSizes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for i := range consignment.MaxPageSize + 1 {
		c := consignment.Consignment{
			ID: fmt.Sprintf("c-%04d", i), Weight: 1, VesselID: "vessel001",
			Containers: []consignment.Container{{CustomerID: "cust001", Origin: "Derby"}},
			Status:     consignment.StatusBooked, CreatedAt: time.Now(),
		}
		if err := e.repo.Create(t.Context(), c); err != nil {
			t.Fatalf("store %s: %v", c.ID, err)
		}
	}
	tests := []struct {
		name string
		req  *consignmentpb.GetRequest
		want int
	}{
		{"nil request", nil, consignment.DefaultPageSize},
		{"no paging fields", &consignmentpb.GetRequest{}, consignment.DefaultPageSize},
		{"limit at the maximum", &consignmentpb.GetRequest{Limit: consignment.MaxPageSize}, consignment.MaxPageSize},
		{"limit above the maximum", &consignmentpb.GetRequest{Limit: 1 << 30}, consignment.MaxPageSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rsp := new(consignmentpb.Response)
			if err := e.h.GetConsignments(as(operator), tt.req, rsp); err != nil {
				t.Fatalf("GetConsignments(%v) = %v", tt.req, err)
			}
			if got := len(rsp.GetConsignments()); got != tt.want || rsp.GetNextPageToken() == "" {
				t.Fatalf("GetConsignments(%v) = %d consignments, next_page_token %q; want %d and a token", tt.req, got, rsp.GetNextPageToken(), tt.want)
			}
			next := &consignmentpb.GetRequest{Limit: 1, PageToken: rsp.GetNextPageToken()}
			rsp2 := new(consignmentpb.Response)
			if err := e.h.GetConsignments(as(operator), next, rsp2); err != nil {
				t.Fatalf("GetConsignments(next page) = %v", err)
			}
			if got, want := rsp2.GetConsignments(), fmt.Sprintf("c-%04d", tt.want); len(got) != 1 || got[0].GetId() != want {
				t.Errorf("the next page = %v, want %s alone", got, want)
			}
		})
	}
}

// TestCallers checks who may call what: every method needs a customer or
// an operator, and its errors are the wire errors auth.Require gives. The
// customer's c-1 is stored; the create is of c-2.
func TestCallers(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, h *handler.Handler) error{
		"CreateConsignment": func(ctx context.Context, h *handler.Handler) error {
			return h.CreateConsignment(ctx, request("c-2"), new(consignmentpb.Response))
		},
		"GetConsignments": func(ctx context.Context, h *handler.Handler) error {
			return h.GetConsignments(ctx, &consignmentpb.GetRequest{}, new(consignmentpb.Response))
		},
		"CancelConsignment": func(ctx context.Context, h *handler.Handler) error {
			return h.CancelConsignment(ctx, &consignmentpb.CancelRequest{Id: "c-1"}, new(consignmentpb.CancelResponse))
		},
	}
	tests := []struct {
		name     string
		ctx      context.Context
		wantCode int32 // 0: let through
	}{
		{"no credentials", context.Background(), 401},
		{"a service", as(service), 403},
		{"a customer", as(customer), 0},
		{"an operator", as(operator), 0},
	}
	for method, call := range calls {
		for _, tt := range tests {
			t.Run(method+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, nil)
				if _, err := e.create(t, request("c-1")); err != nil {
					t.Fatalf("storing c-1: %v", err)
				}
				err := call(tt.ctx, e.h)
				if tt.wantCode == 0 {
					if err != nil {
						t.Fatalf("%s by %s = %v, want nil", method, tt.name, err)
					}
					return
				}
				if code := microerrors.FromError(err).Code; code != tt.wantCode {
					t.Errorf("%s by %s = %v, want %d", method, tt.name, err, tt.wantCode)
				}
			})
		}
	}
}

// TestOwners checks that a consignment belongs to the caller who created
// it: a customer lists and cancels their own only, and finds another's as
// not found; an operator sees and cancels every one.
func TestOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	forged := request("c-1")
	forged.OwnerId = other.Subject // ignored: the caller owns it
	rsp, err := e.createAs(customer, forged)
	if err != nil {
		t.Fatalf("CreateConsignment(c-1) = %v", err)
	}
	if got := rsp.GetConsignment().GetOwnerId(); got != customer.Subject {
		t.Errorf("owner_id = %q, want the caller, %q", got, customer.Subject)
	}
	if _, err := e.createAs(other, request("c-2")); err != nil {
		t.Fatalf("CreateConsignment(c-2) = %v", err)
	}
	if _, err := e.createAs(operator, request("c-3")); err != nil {
		t.Fatalf("CreateConsignment(c-3) = %v", err)
	}

	for _, tt := range []struct {
		caller auth.Claims
		want   []string
	}{
		{customer, []string{"c-1"}},
		{other, []string{"c-2"}},
		{operator, []string{"c-1", "c-2", "c-3"}},
	} {
		if diff := cmp.Diff(tt.want, e.listAs(t, tt.caller)); diff != "" {
			t.Errorf("listed for %s (-want +got):\n%s", tt.caller.Subject, diff)
		}
	}

	_, err = e.cancelAs(other, "c-1")
	wantMicroError(t, err, 404, consignment.ErrNotFound.Error())
	if diff := cmp.Diff([]string{"c-1"}, e.listAs(t, customer)); diff != "" {
		t.Errorf("after another user's cancel, listed for the owner (-want +got):\n%s", diff)
	}
	if _, err := e.cancelAs(operator, "c-2"); err != nil {
		t.Fatalf("an operator's CancelConsignment(c-2) = %v", err)
	}
	if diff := cmp.Diff([]string{"c-1", "c-3"}, e.listAs(t, operator)); diff != "" {
		t.Errorf("after the operator's cancel (-want +got):\n%s", diff)
	}
}

func TestCancelConsignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	created, err := e.create(t, request("c-1"))
	if err != nil {
		t.Fatalf("CreateConsignment(c-1) = %v", err)
	}
	first, err := e.cancelAs(customer, "c-1")
	if err != nil {
		t.Fatalf("CancelConsignment(c-1) = %v", err)
	}
	if diff := cmp.Diff(created.GetConsignment(), first.GetConsignment(), protocmp.Transform()); diff != "" {
		t.Errorf("cancel answered (-created +cancelled):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"c-1"}, e.booker.released); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if got := e.listAs(t, customer); len(got) != 0 {
		t.Errorf("listed after the cancel: %v, want none", got)
	}
	again, err := e.cancelAs(customer, "c-1")
	if err != nil {
		t.Fatalf("repeated CancelConsignment(c-1) = %v, want nil", err)
	}
	if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
		t.Errorf("the repeat answered differently (-first +repeat):\n%s", diff)
	}
	_, err = e.create(t, request("c-1"))
	wantMicroError(t, err, 409, "")
	if got := e.booker.books["c-1"]; got != 1 {
		t.Errorf("Book called %d times for c-1, want 1: a cancelled consignment is never booked again", got)
	}

	for _, tt := range []struct {
		id         string
		wantCode   int32
		wantDetail string
	}{
		{"", 400, "id: "},
		{"unknown", 404, consignment.ErrNotFound.Error()},
	} {
		_, err := e.cancelAs(customer, tt.id)
		wantMicroError(t, err, tt.wantCode, tt.wantDetail)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	svc, err := consignment.NewService(memory.New(), newFakeBooker(), newAnnouncer(t), func() string { return "x" }, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewService() = %v", err)
	}
	if _, err := handler.New(nil, slog.New(slog.DiscardHandler), nil); err == nil {
		t.Error("New(nil service) = nil error, want an error")
	}
	if _, err := handler.New(svc, nil, nil); err == nil {
		t.Error("New(nil logger) = nil error, want an error")
	}
}
