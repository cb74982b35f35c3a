package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/broker"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcmetadata "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// These tests run the CLI as main does (program.run), with the real go-micro
// client, against a user service and a consignment service served by
// go-micro gRPC servers on loopback, on an in-memory registry. The services
// are scripted: they check the token the way the real ones are meant to,
// and record the metadata every call carries.

// Tokens the scripted services know.
const (
	goodToken      = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1LTEifQ.c2ln" // accepted
	expiredToken   = "expired.token.sig"                            // 401 from the handler
	customerToken  = "customer.token.sig"                           // 403 from the handler
	grpcRefused    = "grpc.refused.sig"                             // gRPC Unauthenticated, before go-micro
	grpcDenied     = "grpc.denied.sig"                              // gRPC PermissionDenied, before go-micro
	testPassword   = "correct horse battery staple"
	testExpiresUTC = "2027-01-15T09:00:00Z"
)

// testNow is the clock of the CLI in these tests; tokens expire an hour
// later.
func testNow() time.Time { return time.Unix(1_800_000_000, 0) }

// recorder keeps the metadata of every call a scripted service gets.
type recorder struct {
	mu sync.Mutex
	md []metadata.Metadata
}

func (r *recorder) record(ctx context.Context) metadata.Metadata {
	md, _ := metadata.FromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.md = append(r.md, md)
	return md
}

// authorizations returns the authorization metadata of every call so far.
func (r *recorder) authorizations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, md := range r.md {
		out = append(out, md["authorization"])
	}
	return out
}

// scriptedUsers is a user service with one account, ada@example.com.
type scriptedUsers struct{ recorder }

func (h *scriptedUsers) Create(ctx context.Context, in *userpb.User, rsp *userpb.Response) error {
	h.record(ctx)
	switch {
	case in.GetPassword() == "":
		return microerrors.InternalServerError(userpb.ServiceName, "no password came")
	case strings.EqualFold(in.GetEmail(), "ada@example.com"):
		return microerrors.Conflict(userpb.ServiceName, "email already registered")
	case strings.HasSuffix(in.GetEmail(), "@refused.example.com"):
		return microerrors.BadRequest(userpb.ServiceName, "email: refused by the service")
	}
	rsp.User = &userpb.User{Id: "u-2", Name: in.GetName(), Email: in.GetEmail(), Company: in.GetCompany(), Role: "customer"}
	return nil
}

func (h *scriptedUsers) Auth(ctx context.Context, in *userpb.User, rsp *userpb.Token) error {
	h.record(ctx)
	if in.GetEmail() != "ada@example.com" || in.GetPassword() != testPassword {
		return microerrors.Unauthorized(userpb.ServiceName, "wrong email or password")
	}
	rsp.Token = goodToken
	rsp.UserId = "u-1"
	rsp.Role = "customer"
	rsp.ExpiresUnix = testNow().Add(time.Hour).Unix()
	return nil
}

func (h *scriptedUsers) Get(context.Context, *userpb.User, *userpb.Response) error {
	return microerrors.InternalServerError(userpb.ServiceName, "not scripted")
}

func (h *scriptedUsers) GetAll(context.Context, *userpb.Request, *userpb.Response) error {
	return microerrors.InternalServerError(userpb.ServiceName, "not scripted")
}

func (h *scriptedUsers) ValidateToken(context.Context, *userpb.Token, *userpb.Token) error {
	return microerrors.InternalServerError(userpb.ServiceName, "not scripted")
}

// guardedShipping is a consignment service that serves goodToken, refuses
// customerToken with 403 and anything else with 401, as go-micro errors.
type guardedShipping struct{ recorder }

func (h *guardedShipping) check(ctx context.Context) error {
	const name = consignmentpb.ServiceName
	switch h.record(ctx)["authorization"] {
	case "Bearer " + goodToken:
		return nil
	case "Bearer " + customerToken:
		return microerrors.Forbidden(name, "only operators may list every consignment")
	case "":
		return microerrors.Unauthorized(name, "no token")
	}
	return microerrors.Unauthorized(name, "token expired")
}

func (h *guardedShipping) CreateConsignment(ctx context.Context, in *consignmentpb.Consignment, rsp *consignmentpb.Response) error {
	if err := h.check(ctx); err != nil {
		return err
	}
	rsp.Created = true
	rsp.Consignment = in
	rsp.Consignment.VesselId = "vessel001"
	return nil
}

func (h *guardedShipping) GetConsignments(ctx context.Context, _ *consignmentpb.GetRequest, rsp *consignmentpb.Response) error {
	return h.check(ctx)
}

func (h *guardedShipping) CancelConsignment(ctx context.Context, _ *consignmentpb.CancelRequest, _ *consignmentpb.CancelResponse) error {
	if err := h.check(ctx); err != nil {
		return err
	}
	return microerrors.NotFound(consignmentpb.ServiceName, "consignment not found")
}

// refuseAtGRPC is a stream interceptor that refuses grpcRefused and
// grpcDenied with plain gRPC statuses before go-micro sees the call, as an
// authenticating interceptor would.
func refuseAtGRPC(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	md, _ := grpcmetadata.FromIncomingContext(ss.Context())
	for _, v := range md.Get("authorization") {
		switch v {
		case "Bearer " + grpcRefused:
			return status.Error(codes.Unauthenticated, "token not valid")
		case "Bearer " + grpcDenied:
			return status.Error(codes.PermissionDenied, "operators only")
		}
	}
	return handler(srv, ss)
}

// startServer serves what register registers as the service name on
// loopback, registered in reg.
func startServer(t *testing.T, reg registry.Registry, name string, register func(server.Server) error) {
	t.Helper()
	srv := grpcserver.NewServer(
		server.Name(name),
		server.Address("127.0.0.1:0"),
		server.Registry(reg),
		server.Broker(broker.NewMemoryBroker()),
		server.WithLogger(quietLogger()),
		grpcserver.Options(grpc.ChainStreamInterceptor(refuseAtGRPC)),
	)
	if err := register(srv); err != nil {
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
}

// suite is the two scripted services on one registry.
type suite struct {
	reg      registry.Registry
	users    *scriptedUsers
	shipping *guardedShipping
}

func startSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{reg: registry.NewMemoryRegistry(), users: &scriptedUsers{}, shipping: &guardedShipping{}}
	startServer(t, s.reg, userpb.ServiceName, func(srv server.Server) error {
		return userpb.RegisterUserServiceHandler(srv, s.users)
	})
	startServer(t, s.reg, consignmentpb.ServiceName, func(srv server.Server) error {
		return consignmentpb.RegisterShippingServiceHandler(srv, s.shipping)
	})
	return s
}

// runResult is what a run of the CLI left.
type runResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the CLI with args against s, with env as its environment and
// stdin as its standard input.
func (s *suite) runCLI(t *testing.T, env map[string]string, stdin string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	p := &program{
		getenv:      func(k string) string { return env[k] },
		stdin:       strings.NewReader(stdin),
		stdout:      &stdout,
		stderr:      &stderr,
		newRegistry: func(platform.Config) (registry.Registry, error) { return s.reg, nil },
		now:         testNow,
	}
	err := p.run(t.Context(), append([]string{"--timeout", "5s"}, args...))
	return runResult{code: exitCode(err), stdout: stdout.String(), stderr: stderr.String()}
}

// writeToken stores tok in the token file under the config directory dir.
func writeToken(t *testing.T, dir, tok string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "shippy"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shippy", "token"), []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAccountCommands(t *testing.T) {
	t.Parallel()
	const name = consignmentpb.ServiceName
	login := "'shippy-cli-consignment login --email EMAIL'"
	tests := []struct {
		name   string
		args   []string
		stored string            // the token in the file, if any
		env    map[string]string // beside XDG_CONFIG_HOME
		stdin  string
		// wantCode, and stdout exactly, or stderr's one line exactly.
		wantCode   int
		wantStdout string
		wantStderr string
		// wantUserAuth and wantShipAuth are the authorization metadata of
		// each call the user and the consignment service got.
		wantUserAuth []string
		wantShipAuth []string
		// wantStored is the token file's contents afterwards; "-" for none.
		wantStored string
	}{
		{
			name:         "user create",
			args:         []string{"user", "create", "--name", "Grace", "--email", "grace@example.com", "--company", "Navy"},
			stdin:        "s3cret pass\n",
			wantStdout:   "Created user u-2: Grace <grace@example.com>, Navy, role customer\n",
			wantUserAuth: []string{""},
			wantStored:   "-",
		},
		{
			name:         "user create, json, carries the stored token",
			args:         []string{"--json", "user", "create", "--name", "Grace", "--email", "grace@example.com"},
			stored:       goodToken,
			stdin:        testPassword,
			wantStdout:   `{"id":"u-2","name":"Grace","email":"grace@example.com","company":"","role":"customer"}` + "\n",
			wantUserAuth: []string{"Bearer " + goodToken},
			wantStored:   goodToken + "\n",
		},
		{
			name:         "user create, email taken",
			args:         []string{"user", "create", "--name", "Ada", "--email", "ADA@example.com"},
			stdin:        testPassword + "\n",
			wantCode:     exitBadInput,
			wantStderr:   "ADA@example.com is already registered: sign in with 'shippy-cli-consignment login --email ADA@example.com'",
			wantUserAuth: []string{""},
			wantStored:   "-",
		},
		{
			name:         "user create, refused by the service",
			args:         []string{"user", "create", "--name", "Ada", "--email", "ada@refused.example.com"},
			stdin:        testPassword + "\n",
			wantCode:     exitBadInput,
			wantStderr:   "rejected by shippy.service.user: email: refused by the service",
			wantUserAuth: []string{""},
			wantStored:   "-",
		},
		{
			name:       "user create, not an email: nothing sent",
			args:       []string{"user", "create", "--name", "Ada", "--email", "nowhere"},
			stdin:      testPassword + "\n",
			wantCode:   exitBadInput,
			wantStderr: "email: not an email address of the form name@example.com",
			wantStored: "-",
		},
		{
			name:       "user create, empty password: nothing sent",
			args:       []string{"user", "create", "--name", "Ada", "--email", "a@b.c"},
			stdin:      "\n",
			wantCode:   exitBadInput,
			wantStderr: "password: shorter than 8 bytes",
			wantStored: "-",
		},
		{
			name:       "user create, no standard input: nothing sent",
			args:       []string{"user", "create", "--name", "Ada", "--email", "a@b.c"},
			wantCode:   exitBadInput,
			wantStderr: "no password: standard input is empty",
			wantStored: "-",
		},
		{
			name:         "login",
			args:         []string{"login", "--email", "ada@example.com"},
			stdin:        testPassword + "\n",
			wantStdout:   "Signed in as ada@example.com (user u-1, customer); the token expires at " + testExpiresUTC + " (in 1h0m0s); stored in CONFIG/shippy/token\n",
			wantUserAuth: []string{""},
			wantStored:   goodToken + "\n",
		},
		{
			name:   "login, json, replaces the stored token",
			args:   []string{"login", "--json", "--email", "ada@example.com"},
			stored: expiredToken,
			stdin:  testPassword + "\r\n",
			wantStdout: `{"user_id":"u-1","email":"ada@example.com","role":"customer","expires_at":"` + testExpiresUTC +
				`","expires_unix":1800003600,"token_file":"CONFIG/shippy/token"}` + "\n",
			wantUserAuth: []string{"Bearer " + expiredToken},
			wantStored:   goodToken + "\n",
		},
		{
			name:         "login, wrong password",
			args:         []string{"login", "--email", "ada@example.com"},
			stored:       expiredToken,
			stdin:        "guess\n",
			wantCode:     exitAuth,
			wantStderr:   "wrong email or password",
			wantUserAuth: []string{"Bearer " + expiredToken},
			wantStored:   expiredToken + "\n",
		},
		{
			name:         "login, unknown email",
			args:         []string{"login", "--email", "nobody@example.com"},
			stdin:        testPassword + "\n",
			wantCode:     exitAuth,
			wantStderr:   "wrong email or password",
			wantUserAuth: []string{""},
			wantStored:   "-",
		},
		{
			name:       "logout",
			args:       []string{"logout"},
			stored:     goodToken,
			wantStdout: "Signed out: removed CONFIG/shippy/token\n",
			wantStored: "-",
		},
		{
			name:       "logout, json, nothing stored",
			args:       []string{"logout", "--json"},
			wantStdout: `{"removed":false,"token_file":"CONFIG/shippy/token"}` + "\n",
			wantStored: "-",
		},
		{
			name:         "list, stored token",
			args:         []string{"list"},
			stored:       goodToken,
			wantStdout:   "Consignments (0):\n",
			wantShipAuth: []string{"Bearer " + goodToken},
			wantStored:   goodToken + "\n",
		},
		{
			name:         "list, json, SHIPPY_TOKEN wins over the file",
			args:         []string{"list", "--json"},
			stored:       expiredToken,
			env:          map[string]string{EnvToken: goodToken},
			wantStdout:   "[]\n",
			wantShipAuth: []string{"Bearer " + goodToken},
			wantStored:   expiredToken + "\n",
		},
		{
			name:         "list, --token wins over SHIPPY_TOKEN",
			args:         []string{"list", "--token", goodToken},
			env:          map[string]string{EnvToken: expiredToken},
			wantStdout:   "Consignments (0):\n",
			wantShipAuth: []string{"Bearer " + goodToken},
			wantStored:   "-",
		},
		{
			name:         "list, not signed in",
			args:         []string{"list"},
			wantCode:     exitAuth,
			wantStderr:   "not signed in: run " + login,
			wantShipAuth: []string{""},
			wantStored:   "-",
		},
		{
			name:         "list, stored token expired",
			args:         []string{"list"},
			stored:       expiredToken,
			wantCode:     exitAuth,
			wantStderr:   "not signed in, or the token has expired: run " + login,
			wantShipAuth: []string{"Bearer " + expiredToken},
			wantStored:   expiredToken + "\n",
		},
		{
			name:         "list, SHIPPY_TOKEN refused",
			args:         []string{"list"},
			env:          map[string]string{EnvToken: expiredToken},
			wantCode:     exitAuth,
			wantStderr:   "the token in SHIPPY_TOKEN was refused (expired or not valid): unset it and run " + login,
			wantShipAuth: []string{"Bearer " + expiredToken},
			wantStored:   "-",
		},
		{
			name:         "list, --token refused by gRPC",
			args:         []string{"list", "--token", grpcRefused},
			wantCode:     exitAuth,
			wantStderr:   "the token given with --token was refused (expired or not valid): drop it and run " + login,
			wantStored:   "-",
			wantShipAuth: nil, // refused before the handler
		},
		{
			name:         "list, forbidden",
			args:         []string{"list"},
			stored:       customerToken,
			wantCode:     exitAuth,
			wantStderr:   name + " refused: the signed-in account may not do that (only operators may list every consignment); to use another, run " + login,
			wantShipAuth: []string{"Bearer " + customerToken},
			wantStored:   customerToken + "\n",
		},
		{
			name:       "list, permission denied by gRPC",
			args:       []string{"list"},
			stored:     grpcDenied,
			wantCode:   exitAuth,
			wantStderr: name + " refused: the signed-in account may not do that (operators only); to use another, run " + login,
			wantStored: grpcDenied + "\n",
		},
		{
			name:         "create, carries the token",
			args:         []string{"create"},
			stored:       goodToken,
			wantStdout:   "Created consignment ID: 3 containers, 55000 kg, booked on vessel vessel001\n",
			wantShipAuth: []string{"Bearer " + goodToken},
			wantStored:   goodToken + "\n",
		},
		{
			name:         "create, not signed in",
			args:         []string{"create"},
			wantCode:     exitAuth,
			wantStderr:   "not signed in: run " + login,
			wantShipAuth: []string{""},
			wantStored:   "-",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSuite(t)
			config := t.TempDir()
			env := map[string]string{"XDG_CONFIG_HOME": config}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.stored != "" {
				writeToken(t, config, tt.stored)
			}
			got := s.runCLI(t, env, tt.stdin, tt.args...)

			if got.code != tt.wantCode {
				t.Errorf("exit code = %d (stderr %q), want %d", got.code, got.stderr, tt.wantCode)
			}
			wantStdout := strings.ReplaceAll(tt.wantStdout, "CONFIG", config)
			if strings.Contains(wantStdout, "consignment ID:") {
				// The id is new each time: take it from the output.
				if id, _, ok := strings.Cut(strings.TrimPrefix(got.stdout, "Created consignment "), ":"); ok {
					wantStdout = strings.ReplaceAll(wantStdout, "ID", id)
				}
			}
			if got.stdout != wantStdout {
				t.Errorf("stdout:\ngot  %q\nwant %q", got.stdout, wantStdout)
			}
			wantStderr := ""
			if tt.wantStderr != "" {
				wantStderr = tt.wantStderr + "\n"
			}
			if got.stderr != wantStderr {
				t.Errorf("stderr:\ngot  %q\nwant %q", got.stderr, wantStderr)
			}
			if got, want := s.users.authorizations(), tt.wantUserAuth; !slices.Equal(got, want) {
				t.Errorf("user service got authorization %q, want %q", got, want)
			}
			if got, want := s.shipping.authorizations(), tt.wantShipAuth; !slices.Equal(got, want) {
				t.Errorf("consignment service got authorization %q, want %q", got, want)
			}
			data, err := os.ReadFile(filepath.Join(config, "shippy", "token"))
			gotStored := string(data)
			if os.IsNotExist(err) {
				gotStored = "-"
			} else if err != nil {
				t.Fatal(err)
			}
			if gotStored != tt.wantStored {
				t.Errorf("token file holds %q, want %q", gotStored, tt.wantStored)
			}
			for _, secret := range []string{testPassword, goodToken, expiredToken, "s3cret"} {
				if strings.Contains(got.stdout+got.stderr, secret) {
					t.Errorf("output holds the secret %q:\n%s%s", secret, got.stdout, got.stderr)
				}
			}
		})
	}
}

func TestAccountNotes(t *testing.T) {
	t.Parallel()
	s := startSuite(t)
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), EnvToken: goodToken}

	got := s.runCLI(t, env, testPassword+"\n", "login", "--email", "ada@example.com")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "Signed in as ada@example.com") {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
	if want := "note: SHIPPY_TOKEN is set, so commands use it rather than the token stored now\n"; got.stderr != want {
		t.Errorf("login stderr = %q, want %q", got.stderr, want)
	}
	got = s.runCLI(t, env, "", "logout")
	if want := "note: SHIPPY_TOKEN is still set, and commands still use it\n"; got.code != exitOK || got.stderr != want {
		t.Errorf("logout: exit %d, stderr %q, want 0 and %q", got.code, got.stderr, want)
	}
}
