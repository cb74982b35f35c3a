package handler_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/shippy-suite/shippy/platform/rpcerr/rpcerrtest"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// The fuzz targets feed the open RPCs every request body that decodes as
// their message, over a store that holds ada@example.com. Whatever the
// input, the answer is nil or a client error its contract names, and a 400
// names the field: bad input is never an internal error.

// userFields are the fields of a User request a 400 may name.
var userFields = regexp.MustCompile(`^(name|company|email|password): \S`)

func FuzzCreate(f *testing.F) {
	seeds := []*userpb.User{
		{Name: "Bob", Email: "bob@example.com", Password: "12345678"},
		{Name: "Ada", Email: "ADA@example.com", Password: "12345678"},
		{Name: "\x00", Email: "a@b", Password: "ééééé"},
	}
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *userpb.User) {
		fx := newFixture(t)
		fx.create(t, "Ada", "ada@example.com", "correct horse")
		rsp := &userpb.Response{}
		err := fx.h.Create(t.Context(), req, rsp)
		rpcerrtest.WantClientError(t, err, userpb.ServiceName, userFields, http.StatusBadRequest, http.StatusConflict)
		if err == nil && rsp.GetUser().GetPassword() != "" {
			t.Fatalf("Create answered with a password: %v", rsp)
		}
	})
}

func FuzzAuth(f *testing.F) {
	seeds := []*userpb.User{
		{Email: "ada@example.com", Password: "correct horse"},
		{Email: "ada@example.com", Password: "wrong"},
		{Email: "@x", Password: ""},
	}
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *userpb.User) {
		fx := newFixture(t)
		fx.create(t, "Ada", "ada@example.com", "correct horse")
		err := fx.h.Auth(t.Context(), req, &userpb.Token{})
		rpcerrtest.WantClientError(t, err, userpb.ServiceName, userFields, http.StatusUnauthorized)
	})
}

func FuzzValidateToken(f *testing.F) {
	seeds := []*userpb.Token{{Token: "a.b.c"}, {Token: "eyJhbGciOiJub25lIn0.e30."}, {}}
	rpcerrtest.Fuzz(f, seeds, func(t *testing.T, req *userpb.Token) {
		fx := newFixture(t)
		err := fx.h.ValidateToken(t.Context(), req, &userpb.Token{})
		rpcerrtest.WantClientError(t, err, userpb.ServiceName, userFields, http.StatusUnauthorized)
	})
}
