package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

func TestMakeOperator(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{"DATA_DIR": dir}[k] }
	// Register a customer in the embedded store, as the service would.
	cfg, err := store.LoadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg, backends(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := user.NewBcrypt(bcrypt.MinCost, user.BcryptLimits{})
	if err != nil {
		t.Fatal(err)
	}
	announcer, err := announce.New(func() string { return "event-1" })
	if err != nil {
		t.Fatal(err)
	}
	users, err := user.NewService(st.Repo, hasher, announcer, func() string { return "u1" }, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Register(t.Context(), domainuser.Registration{Name: "Op", Email: "op@example.com", Password: "12345678"}); err != nil {
		t.Fatal(err)
	}

	// The store is open: the command must say why it cannot run.
	if err := makeOperator(t.Context(), []string{"op@example.com"}, getenv, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "stop the user service first") {
		t.Errorf("make-operator while the file is held = %v; want the advice to stop the service", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no email", nil, "usage: "},
		{"unknown email", []string{"nobody@example.com"}, "no account has the email"},
		{"registered email, other case", []string{"OP@example.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := makeOperator(t.Context(), tt.args, getenv, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("make-operator %v = %v; want an error with %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), "is an operator") {
				t.Fatalf("make-operator %v = %v, printed %q", tt.args, err, out.String())
			}
		})
	}

	st, err = store.Open(cfg, backends(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.Repo.GetByEmail(t.Context(), "op@example.com")
	if err != nil || a.Role != domainuser.RoleOperator {
		t.Errorf("after make-operator the account is %+v, %v; want an operator", a.User, err)
	}
}
