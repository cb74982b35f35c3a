package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/broker"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
)

func TestTokenFromMetadata(t *testing.T) {
	t.Parallel()
	const jwt = "aaa.bbb.ccc"
	tests := []struct {
		name string
		md   map[string]string
		want string // the token, or the error's reason
		ok   bool
	}{
		{"authorization", map[string]string{"authorization": "Bearer " + jwt}, jwt, true},
		{"Authorization, scheme lower-case", map[string]string{"Authorization": "bearer " + jwt}, jwt, true},
		{"AUTHORIZATION, scheme upper-case", map[string]string{"AUTHORIZATION": "BEARER " + jwt}, jwt, true},
		{"spaces around", map[string]string{"authorization": "  Bearer   " + jwt + " "}, jwt, true},
		{"token (the tutorial's client)", map[string]string{"token": jwt}, jwt, true},
		{"Token", map[string]string{"Token": " " + jwt + "\n"}, jwt, true},
		{"authorization wins over token", map[string]string{"token": "other.token.x", "authorization": "Bearer " + jwt}, jwt, true},
		{"empty authorization: token", map[string]string{"authorization": "", "token": jwt}, jwt, true},
		{"one value under two cases", map[string]string{"authorization": "Bearer " + jwt, "Authorization": "Bearer " + jwt}, jwt, true},
		{"none", map[string]string{"other": "x"}, "missing token", false},
		{"nil", nil, "missing token", false},
		{"empty token", map[string]string{"token": ""}, "missing token", false},
		{"blank token", map[string]string{"token": "  "}, "empty bearer token", false},
		{"basic scheme", map[string]string{"authorization": "Basic dXNlcjpwYXNz"}, "authorization is not a bearer token", false},
		{"bearer alone", map[string]string{"authorization": "Bearer"}, "authorization is not a bearer token", false},
		{"bearer and spaces", map[string]string{"authorization": "Bearer   "}, "authorization is not a bearer token", false},
		{"bare JWT in authorization", map[string]string{"authorization": jwt}, "authorization is not a bearer token", false},
		{"two tokens", map[string]string{"authorization": "Bearer " + jwt + " " + jwt}, "malformed token", false},
		{"control character", map[string]string{"token": "aaa.\x00bbb.ccc"}, "malformed token", false},
		{"two values under two cases", map[string]string{"authorization": "Bearer " + jwt, "Authorization": "Bearer x.y.z"},
			"conflicting authorization metadata", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := auth.TokenFromMetadata(tt.md)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Errorf("TokenFromMetadata() = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, auth.ErrUnauthenticated) || err.Error() != "unauthenticated: "+tt.want {
				t.Errorf("TokenFromMetadata() = %q, %v; want unauthenticated: %s", got, err, tt.want)
			}
		})
	}
}

func FuzzTokenFromMetadata(f *testing.F) {
	f.Add("authorization", "Bearer a.b.c", "token", "d.e.f")
	f.Add("Token", "a.b.c", "", "")
	f.Add("AUTHORIZATION", "bearer  x", "authorization", "Bearer y")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		md := map[string]string{k1: v1, k2: v2}
		tok, err := auth.TokenFromMetadata(md)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("error %v does not match ErrUnauthenticated", err)
			}
			if tok != "" {
				t.Fatalf("a token %q with an error", tok)
			}
			return
		}
		if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' }) {
			t.Fatalf("TokenFromMetadata() = %q", tok)
		}
		if !strings.Contains(md[k1], tok) && !strings.Contains(md[k2], tok) {
			t.Fatalf("token %q is in no value of %q", tok, md)
		}
	})
}

func TestWithToken(t *testing.T) {
	t.Parallel()
	// A handler's context: the metadata of the call it serves.
	incoming := metadata.NewContext(t.Context(), metadata.Metadata{
		"authorization": "Bearer customer.token.x", "Token": "customer.token.y", "Trace": "t1",
	})
	ctx := auth.WithToken(incoming, "service.token.z")
	md, _ := metadata.FromContext(ctx)
	want := map[string]string{"Authorization": "Bearer service.token.z", "Trace": "t1"}
	if len(md) != len(want) || md["Authorization"] != want["Authorization"] || md["Trace"] != want["Trace"] {
		t.Errorf("metadata = %v, want %v", md, want)
	}
	if tok, err := auth.TokenFromMetadata(md); err != nil || tok != "service.token.z" {
		t.Errorf("TokenFromMetadata(WithToken) = %q, %v", tok, err)
	}
	if old, _ := metadata.FromContext(incoming); old["authorization"] != "Bearer customer.token.x" {
		t.Errorf("the parent context's metadata changed: %v", old)
	}
	md, _ = metadata.FromContext(auth.WithToken(incoming, ""))
	if len(md) != 1 || md["Trace"] != "t1" {
		t.Errorf("metadata of WithToken(ctx, \"\") = %v, want the credentials dropped", md)
	}
	if md, ok := metadata.FromContext(auth.WithToken(t.Context(), "t.o.k")); !ok || md["Authorization"] != "Bearer t.o.k" {
		t.Errorf("metadata of WithToken(a context without metadata) = %v", md)
	}
}

func TestClaimsContext(t *testing.T) {
	t.Parallel()
	if _, ok := auth.ClaimsFrom(t.Context()); ok {
		t.Error("ClaimsFrom(empty context) found claims")
	}
	want := auth.Claims{Subject: "u1", Role: auth.RoleCustomer}
	got, ok := auth.ClaimsFrom(auth.WithClaims(t.Context(), want))
	if !ok || got.Subject != want.Subject || got.Role != want.Role {
		t.Errorf("ClaimsFrom(WithClaims(c)) = %+v, %v; want %+v", got, ok, want)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	ctx := func(r auth.Role) context.Context {
		return auth.WithClaims(t.Context(), auth.Claims{Subject: "u1", Role: r})
	}
	tests := []struct {
		name  string
		ctx   context.Context
		roles []auth.Role
		code  int32 // 0: allowed
	}{
		{"customer for customers", ctx(auth.RoleCustomer), []auth.Role{auth.RoleCustomer}, 0},
		{"operator for customers or operators", ctx(auth.RoleOperator), []auth.Role{auth.RoleCustomer, auth.RoleOperator}, 0},
		{"customer for operators", ctx(auth.RoleCustomer), []auth.Role{auth.RoleOperator}, http.StatusForbidden},
		{"customer for services", ctx(auth.RoleCustomer), []auth.Role{auth.RoleService}, http.StatusForbidden},
		{"no role listed", ctx(auth.RoleOperator), nil, http.StatusForbidden},
		{"no claims", t.Context(), []auth.Role{auth.RoleCustomer}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := auth.Require(tt.ctx, tt.roles...)
			if tt.code == 0 {
				if err != nil || c.Subject != "u1" {
					t.Errorf("Require() = %+v, %v; want the claims", c, err)
				}
				return
			}
			var e *microerrors.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("Require() = %v, want a go-micro %d", err, tt.code)
			}
		})
	}
}

// Whoami is a go-micro handler that tells who called it.
type Whoami struct{}

const serviceName = audience

// Who answers with the caller's subject and role.
func (Whoami) Who(ctx context.Context, _ *emptypb.Empty, rsp *wrapperspb.StringValue) error {
	c, ok := auth.ClaimsFrom(ctx)
	if !ok {
		return errors.New("no claims in the handler's context")
	}
	rsp.Value = c.Subject + " " + string(c.Role)
	return nil
}

// Fleet is for operators.
func (Whoami) Fleet(ctx context.Context, _ *emptypb.Empty, rsp *wrapperspb.StringValue) error {
	c, err := auth.Require(ctx, auth.RoleOperator)
	if err != nil {
		return err
	}
	rsp.Value = "fleet for " + c.Subject
	return nil
}

// Ping is open to anyone, and says who called when it knows.
func (Whoami) Ping(ctx context.Context, _ *emptypb.Empty, rsp *wrapperspb.StringValue) error {
	rsp.Value = "pong"
	if c, ok := auth.ClaimsFrom(ctx); ok {
		rsp.Value += " " + c.Subject
	}
	return nil
}

// startWhoami serves Whoami behind v's wrapper on loopback, registered in a
// new memory registry, which it returns.
func startWhoami(t *testing.T, v *auth.Verifier) registry.Registry {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	srv := grpcserver.NewServer(
		server.Name(serviceName),
		server.Address("127.0.0.1:0"),
		server.Registry(reg),
		server.Broker(broker.NewMemoryBroker()),
		server.WithLogger(logger.NewLogger(logger.WithOutput(io.Discard))),
		server.WrapHandler(v.Wrapper(func(endpoint string) bool { return endpoint == "Whoami.Ping" })),
	)
	if err := srv.Handle(srv.NewHandler(Whoami{})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	return reg
}

// TestWrapper calls a real go-micro gRPC server through the platform's
// client, with the credentials each case puts in the call's metadata.
func TestWrapper(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	now := time.Now()
	signer := mustSigner(t, key, issuer, now)
	customer := mustSign(t, signer, "u1", auth.RoleCustomer, serviceName)
	operator := mustSign(t, signer, "op1", auth.RoleOperator, serviceName)
	expired := mustSign(t, mustSigner(t, key, issuer, now.Add(-time.Hour)), "u1", auth.RoleCustomer, serviceName)
	other := mustSign(t, mustSigner(t, mustKey(t), issuer, now), "u1", auth.RoleCustomer, serviceName)

	set, err := auth.NewKeySet(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(set, issuer, serviceName, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := platform.NewClient(startWhoami(t, v))

	bearer := func(tok string) func(context.Context) context.Context {
		return func(ctx context.Context) context.Context { return auth.WithToken(ctx, tok) }
	}
	md := func(k, val string) func(context.Context) context.Context {
		return func(ctx context.Context) context.Context { return metadata.NewContext(ctx, metadata.Metadata{k: val}) }
	}
	none := func(ctx context.Context) context.Context { return ctx }
	tests := []struct {
		name     string
		endpoint string
		creds    func(context.Context) context.Context
		token    string // a token the error must not hold
		want     string // the answer
		reason   rpcerr.Reason
		detail   string
	}{
		{"customer", "Whoami.Who", bearer(customer), "", "u1 customer", "", ""},
		{"the tutorial's token key", "Whoami.Who", md("token", customer), "", "u1 customer", "", ""},
		{"Authorization key", "Whoami.Who", md("Authorization", "bearer "+customer), "", "u1 customer", "", ""},
		{"operator for operators", "Whoami.Fleet", bearer(operator), "", "fleet for op1", "", ""},
		{"open without a token", "Whoami.Ping", none, "", "pong", "", ""},
		{"open with a token", "Whoami.Ping", bearer(customer), "", "pong u1", "", ""},
		{"open with an expired token", "Whoami.Ping", bearer(expired), "", "pong", "", ""},
		{"no token", "Whoami.Who", none, "", "", rpcerr.Unauthenticated, "unauthenticated: missing token"},
		{"expired", "Whoami.Who", bearer(expired), expired, "", rpcerr.Unauthenticated, "unauthenticated: token expired"},
		{"another key", "Whoami.Who", bearer(other), other, "", rpcerr.Unauthenticated, "unauthenticated: unknown signing key"},
		{"truncated", "Whoami.Who", bearer(customer[:len(customer)-2]), customer[:len(customer)-2], "", rpcerr.Unauthenticated, "unauthenticated: wrong signature"},
		{"not bearer", "Whoami.Who", md("authorization", "Basic "+customer), customer, "", rpcerr.Unauthenticated,
			"unauthenticated: authorization is not a bearer token"},
		{"customer for operators", "Whoami.Fleet", bearer(customer), customer, "", rpcerr.Forbidden, "forbidden: requires role operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var rsp wrapperspb.StringValue
			err := c.Call(tt.creds(ctx), c.NewRequest(serviceName, tt.endpoint, &emptypb.Empty{}), &rsp)
			if tt.reason == "" {
				if err != nil || rsp.Value != tt.want {
					t.Errorf("call = %q, %v; want %q", rsp.Value, err, tt.want)
				}
				return
			}
			f := rpcerr.Classify(err)
			if f.Reason != tt.reason || f.Service != serviceName || f.Detail != tt.detail {
				t.Errorf("call = %+v, want %s from %s saying %q", f, tt.reason, serviceName, tt.detail)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Error("the error holds the token")
			}
		})
	}
}

// TestWrapperKeysUnavailable checks that a key source that cannot be asked
// answers 503, not 401: the caller's token may be good.
func TestWrapperKeysUnavailable(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	v, err := auth.NewVerifier(failingKeys{}, issuer, serviceName, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := platform.NewClient(startWhoami(t, v))
	tok := mustSign(t, mustSigner(t, key, issuer, time.Now()), "u1", auth.RoleCustomer, serviceName)
	ctx, cancel := context.WithTimeout(auth.WithToken(t.Context(), tok), 10*time.Second)
	defer cancel()
	err = c.Call(ctx, c.NewRequest(serviceName, "Whoami.Who", &emptypb.Empty{}), &wrapperspb.StringValue{})
	if f := rpcerr.Classify(err); f.Reason != rpcerr.Unavailable || f.Service != serviceName {
		t.Errorf("call = %+v, want %s from %s", f, rpcerr.Unavailable, serviceName)
	}
}
