package handler_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	microerrors "go-micro.dev/v5/errors"
	"golang.org/x/crypto/bcrypt"

	"github.com/shippy-suite/shippy/platform/auth"
	userpb "github.com/shippy-suite/shippy/proto/user"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
	"github.com/shippy-suite/shippy/shippy-service-user/handler"
	"github.com/shippy-suite/shippy/shippy-service-user/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// fixture is a Handler over a memory store, with the verifier of the
// tokens it signs.
type fixture struct {
	h        *handler.Handler
	verifier *auth.Verifier
	logs     *bytes.Buffer
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	hasher, err := user.NewBcrypt(bcrypt.MinCost, user.BcryptLimits{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	newID := func() string { n++; return "user-" + string(rune('0'+n)) }
	announcer, err := announce.New(uuid.NewString)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := user.NewService(memory.New(), hasher, announcer, newID, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewSigner(key, userpb.ServiceName, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeySet(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(keys, userpb.ServiceName, userpb.TokenAudience, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h, err := handler.New(svc, signer, verifier, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{h: h, verifier: verifier, logs: &logs}
}

// create registers a user and returns it as answered.
func (f fixture) create(t *testing.T, name, email, password string) *userpb.User {
	t.Helper()
	var rsp userpb.Response
	if err := f.h.Create(t.Context(), &userpb.User{Name: name, Email: email, Password: password}, &rsp); err != nil {
		t.Fatalf("Create(%s): %v", email, err)
	}
	return rsp.GetUser()
}

// wantCode fails t unless err is a go-micro error with code; it returns
// the detail.
func wantCode(t *testing.T, err error, code int32) string {
	t.Helper()
	e, ok := microerrors.As(err)
	if !ok || e.Code != code {
		t.Fatalf("got %v, want a go-micro error with code %d", err, code)
	}
	return e.Detail
}

// as is ctx with the claims of a caller.
func as(ctx context.Context, id string, role auth.Role) context.Context {
	return auth.WithClaims(ctx, auth.Claims{Subject: id, Role: role})
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	u := f.create(t, "Ada", "Ada@Example.com", "correct horse")
	if u.GetId() == "" || u.GetRole() != "customer" || u.GetPassword() != "" || u.GetEmail() != "Ada@Example.com" {
		t.Errorf("Create answered %v; want an id, role customer, the email as given and no password", u)
	}
	tests := []struct {
		name string
		req  *userpb.User
		code int32
		want string // in the detail
	}{
		{"email taken in another case", &userpb.User{Name: "Eve", Email: "ada@example.COM", Password: "12345678"}, http.StatusConflict, "email"},
		{"short password", &userpb.User{Name: "Bob", Email: "bob@example.com", Password: "x7q"}, http.StatusBadRequest, "password"},
		{"no name", &userpb.User{Email: "bob@example.com", Password: "12345678"}, http.StatusBadRequest, "name"},
		{"bad email", &userpb.User{Name: "Bob", Email: "bob", Password: "12345678"}, http.StatusBadRequest, "email"},
		{"password over bcrypt's limit", &userpb.User{Name: "Bob", Email: "bob@example.com", Password: strings.Repeat("x", 73)}, http.StatusBadRequest, "password"},
		{"nil request", nil, http.StatusBadRequest, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rsp userpb.Response
			detail := wantCode(t, f.h.Create(t.Context(), tt.req, &rsp), tt.code)
			if !strings.HasPrefix(detail, tt.want) {
				t.Errorf("detail %q does not start with %q", detail, tt.want)
			}
			if tt.req.GetPassword() != "" && strings.Contains(detail, tt.req.GetPassword()) {
				t.Errorf("detail %q holds the password", detail)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	u := f.create(t, "Ada", "ada@example.com", "correct horse")

	var tok userpb.Token
	if err := f.h.Auth(t.Context(), &userpb.User{Email: "ADA@example.com", Password: "correct horse"}, &tok); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	claims, err := f.verifier.Verify(t.Context(), tok.GetToken())
	if err != nil {
		t.Fatalf("the token Auth answered with does not verify: %v", err)
	}
	if claims.Subject != u.GetId() || claims.Role != auth.RoleCustomer || !tok.GetValid() || tok.GetUserId() != u.GetId() ||
		tok.GetExpiresUnix() != claims.ExpiresAt.Unix() || tok.GetRole() != "customer" {
		t.Errorf("Auth answered %v with claims %+v; want the user's id and role, valid, and the token's expiry", &tok, claims)
	}

	wrong := wantCode(t, f.h.Auth(t.Context(), &userpb.User{Email: "ada@example.com", Password: "wrong horse"}, &userpb.Token{}), http.StatusUnauthorized)
	unknown := wantCode(t, f.h.Auth(t.Context(), &userpb.User{Email: "eve@example.com", Password: "correct horse"}, &userpb.Token{}), http.StatusUnauthorized)
	if wrong != unknown || strings.Contains(wrong, "horse") {
		t.Errorf("wrong password: %q, unknown email: %q; want one detail, without the password", wrong, unknown)
	}
}

func TestValidateToken(t *testing.T) {
	f := newFixture(t)
	u := f.create(t, "Ada", "ada@example.com", "correct horse")
	var tok userpb.Token
	if err := f.h.Auth(t.Context(), &userpb.User{Email: "ada@example.com", Password: "correct horse"}, &tok); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	var rsp userpb.Token
	if err := f.h.ValidateToken(t.Context(), &userpb.Token{Token: tok.GetToken()}, &rsp); err != nil || !rsp.GetValid() || rsp.GetUserId() != u.GetId() {
		t.Fatalf("ValidateToken(its token) = %v, %v; want valid for %s", &rsp, err, u.GetId())
	}
	for name, token := range map[string]string{
		"empty":     "",
		"truncated": tok.GetToken()[:len(tok.GetToken())-10],
		"garbage":   "a.b.c",
	} {
		t.Run(name, func(t *testing.T) {
			detail := wantCode(t, f.h.ValidateToken(t.Context(), &userpb.Token{Token: token}, &userpb.Token{}), http.StatusUnauthorized)
			if token != "" && strings.Contains(detail, token) {
				t.Errorf("detail %q holds the token", detail)
			}
		})
	}
}

func TestGetAndGetAll(t *testing.T) {
	f := newFixture(t)
	ada := f.create(t, "Ada", "ada@example.com", "correct horse")
	bob := f.create(t, "Bob", "bob@example.com", "correct horse")
	ctx := t.Context()

	t.Run("get", func(t *testing.T) {
		tests := []struct {
			name   string
			ctx    context.Context
			id     string
			code   int32 // 0: answers with want
			wantID string
		}{
			{"customer, themselves", as(ctx, ada.GetId(), auth.RoleCustomer), ada.GetId(), 0, ada.GetId()},
			{"customer, no id is themselves", as(ctx, ada.GetId(), auth.RoleCustomer), "", 0, ada.GetId()},
			{"customer, another user", as(ctx, ada.GetId(), auth.RoleCustomer), bob.GetId(), http.StatusNotFound, ""},
			{"operator, another user", as(ctx, ada.GetId(), auth.RoleOperator), bob.GetId(), 0, bob.GetId()},
			{"service token", as(ctx, "shippy.service.consignment", auth.RoleService), ada.GetId(), http.StatusForbidden, ""},
			{"no claims", ctx, ada.GetId(), http.StatusUnauthorized, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var rsp userpb.Response
				err := f.h.Get(tt.ctx, &userpb.User{Id: tt.id}, &rsp)
				if tt.code != 0 {
					wantCode(t, err, tt.code)
					return
				}
				if err != nil || rsp.GetUser().GetId() != tt.wantID || rsp.GetUser().GetPassword() != "" {
					t.Errorf("Get = %v, %v; want user %s without a password", &rsp, err, tt.wantID)
				}
			})
		}
	})

	t.Run("get all", func(t *testing.T) {
		var mine userpb.Response
		if err := f.h.GetAll(as(ctx, bob.GetId(), auth.RoleCustomer), &userpb.Request{}, &mine); err != nil ||
			len(mine.GetUsers()) != 1 || mine.GetUsers()[0].GetId() != bob.GetId() {
			t.Errorf("GetAll as a customer = %v, %v; want only themselves", &mine, err)
		}
		var all userpb.Response
		if err := f.h.GetAll(as(ctx, ada.GetId(), auth.RoleOperator), &userpb.Request{PageSize: 1}, &all); err != nil ||
			len(all.GetUsers()) != 1 || all.GetUsers()[0].GetId() != ada.GetId() || all.GetNextPageToken() == "" {
			t.Fatalf("GetAll page 1 as an operator = %v, %v; want Ada and a next page", &all, err)
		}
		var next userpb.Response
		if err := f.h.GetAll(as(ctx, ada.GetId(), auth.RoleOperator), &userpb.Request{PageToken: all.GetNextPageToken()}, &next); err != nil ||
			len(next.GetUsers()) != 1 || next.GetUsers()[0].GetId() != bob.GetId() || next.GetNextPageToken() != "" {
			t.Errorf("GetAll page 2 as an operator = %v, %v; want Bob and no next page", &next, err)
		}
		var anonymous userpb.Response
		if err := f.h.GetAll(ctx, &userpb.Request{}, &anonymous); err != nil || len(anonymous.GetUsers()) != 0 {
			t.Errorf("GetAll without a token = %v, %v; want nobody", &anonymous, err)
		}
	})
}
