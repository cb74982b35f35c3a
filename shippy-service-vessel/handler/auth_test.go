package handler_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	microerrors "go-micro.dev/v5/errors"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
)

// The claims of the callers the tests call as: users signed in with the
// user service, and services with tokens of their own.
var (
	customerClaims = auth.Claims{Subject: "user-1", Role: auth.RoleCustomer, Issuer: userpb.ServiceName, Audience: []string{userpb.TokenAudience}}
	operatorClaims = auth.Claims{Subject: "user-2", Role: auth.RoleOperator, Issuer: userpb.ServiceName, Audience: []string{userpb.TokenAudience}}
	consignmentSvc = auth.Claims{Subject: consignmentpb.ServiceName, Role: auth.RoleService, Issuer: consignmentpb.ServiceName, Audience: []string{vesselpb.ServiceName}}
)

// asCustomer, asOperator and asConsignment return the test's context as the
// server's auth wrapper hands it to the handler for a call of a customer,
// an operator or the consignment service.
func asCustomer(t *testing.T) context.Context    { return auth.WithClaims(t.Context(), customerClaims) }
func asOperator(t *testing.T) context.Context    { return auth.WithClaims(t.Context(), operatorClaims) }
func asConsignment(t *testing.T) context.Context { return auth.WithClaims(t.Context(), consignmentSvc) }

// TestRoles calls every endpoint as every kind of caller: the callers an
// endpoint lets through get its answer, a caller without claims gets 401
// and any other 403, and a refused call changes nothing.
func TestRoles(t *testing.T) {
	t.Parallel()
	const (
		none        = "no claims"
		customer    = "customer"
		operator    = "operator"
		consignment = "consignment service"
		other       = "another service"
		impostor    = "another issuer's token for the consignment service"
	)
	callers := []struct {
		name   string
		claims *auth.Claims // nil: none in the context
	}{
		{none, nil},
		{customer, &customerClaims},
		{operator, &operatorClaims},
		{consignment, &consignmentSvc},
		{other, &auth.Claims{Subject: "shippy.service.other", Role: auth.RoleService, Issuer: "shippy.service.other", Audience: []string{vesselpb.ServiceName}}},
		// The issuer is what the wrapper checked against its keys; the
		// subject is whatever that issuer wrote.
		{impostor, &auth.Claims{Subject: consignmentpb.ServiceName, Role: auth.RoleService, Issuer: userpb.ServiceName, Audience: []string{vesselpb.ServiceName}}},
	}
	signedIn := []string{customer, operator, consignment, other, impostor}
	endpoints := []struct {
		name    string
		allowed []string // the callers let through
		call    func(context.Context, *handler.Handler) error
	}{
		{"FindAvailable", signedIn, func(ctx context.Context, h *handler.Handler) error {
			return h.FindAvailable(ctx, &vesselpb.Specification{Capacity: 1, MaxWeight: 1}, &vesselpb.Response{})
		}},
		{"ListVessels", signedIn, func(ctx context.Context, h *handler.Handler) error {
			return h.ListVessels(ctx, &vesselpb.ListVesselsRequest{}, &vesselpb.ListVesselsResponse{})
		}},
		{"Create", []string{operator}, func(ctx context.Context, h *handler.Handler) error {
			return h.Create(ctx, &vesselpb.Vessel{Id: "d", Name: "new", Capacity: 1, MaxWeight: 1}, &vesselpb.Response{})
		}},
		{"Book", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.Book(ctx, &vesselpb.BookRequest{ConsignmentId: "c2", Containers: 1, Weight: 1}, &vesselpb.BookResponse{})
		}},
		{"Release", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.Release(ctx, &vesselpb.ReleaseRequest{ConsignmentId: "c1"}, &vesselpb.ReleaseResponse{})
		}},
		{"BookBatch", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.BookBatch(ctx, batch(&vesselpb.BookRequest{ConsignmentId: "c2", Containers: 1, Weight: 1}), &vesselpb.BookBatchResponse{})
		}},
		{"ConfirmBookings", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.ConfirmBookings(ctx, &vesselpb.ConfirmBookingsRequest{ConsignmentIds: []string{"c1"}}, &vesselpb.ConfirmBookingsResponse{})
		}},
		{"ListExpiredHolds", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.ListExpiredHolds(ctx, &vesselpb.ListExpiredHoldsRequest{Holder: "h", Limit: 10}, &vesselpb.ListExpiredHoldsResponse{})
		}},
		{"ReleaseExpiredHold", []string{consignment}, func(ctx context.Context, h *handler.Handler) error {
			return h.ReleaseExpiredHold(ctx, &vesselpb.ReleaseRequest{ConsignmentId: "c1"}, &vesselpb.ReleaseResponse{})
		}},
	}
	for _, e := range endpoints {
		for _, c := range callers {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				h, logs := newHandler(t)
				mustBook(t, h, &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 1})
				before := list(t, h)
				ctx := t.Context()
				if c.claims != nil {
					ctx = auth.WithClaims(ctx, *c.claims)
				}
				err := e.call(ctx, h)
				if slices.Contains(e.allowed, c.name) {
					if err != nil {
						t.Fatalf("%s as %s: %v, want it let through", e.name, c.name, err)
					}
					return
				}
				wantCode, wantReason := int32(http.StatusForbidden), rpcerr.Forbidden
				if c.claims == nil {
					wantCode, wantReason = http.StatusUnauthorized, rpcerr.Unauthenticated
				}
				got, ok := microerrors.As(err)
				if !ok || got.Code != wantCode || got.Status != string(wantReason) || got.Detail == "" {
					t.Errorf("%s as %s: error %v, want a go-micro error %d %s with a detail", e.name, c.name, err, wantCode, wantReason)
				}
				if after := list(t, h); !protoSliceEqual(after, before) {
					t.Errorf("refused %s changed the fleet:\n got %v\nwant %v", e.name, after, before)
				}
				if logs.Len() != 0 {
					t.Errorf("refused %s logged %q, want nothing", e.name, logs)
				}
			})
		}
	}
}
