package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// TestMain runs the tests in a private network namespace: TestServeAuth
// starts the service over mDNS.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// writeFile writes content to a file in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	fleetFile := writeFile(t, "fleet.json", `[{"id":"v1","name":"n","capacity":5,"max_weight":50}]`)
	tests := []struct {
		name        string
		vars        map[string]string
		wantFleet   []vessel.Vessel
		wantDataDir string
	}{
		{name: "defaults", wantFleet: fleet.Default(), wantDataDir: store.DefaultDataDir},
		{
			name:        "fleet file",
			vars:        map[string]string{EnvVesselsFile: fleetFile},
			wantFleet:   []vessel.Vessel{{ID: "v1", Name: "n", Capacity: 5, MaxWeight: 50, Available: true}},
			wantDataDir: store.DefaultDataDir,
		},
		{
			name:        "data dir read",
			vars:        map[string]string{store.EnvDataDir: "/var/lib/shippy"},
			wantFleet:   fleet.Default(),
			wantDataDir: "/var/lib/shippy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(storetesting.Getenv(tt.vars))
			if err != nil {
				t.Fatalf("loadConfig() = %v, want nil", err)
			}
			if !slices.Equal(cfg.Fleet, tt.wantFleet) {
				t.Errorf("Fleet = %+v, want %+v", cfg.Fleet, tt.wantFleet)
			}
			storetesting.CheckServiceConfig(t, cfg.ServiceConfig, tt.wantDataDir)
		})
	}
}

// TestRunRejectsBadConfig checks that run stops before it builds the service
// (no registry, no listener, nothing logged) when the configuration or the
// arguments are wrong, with an error that names the culprit.
func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()
	// A connection string that cannot be parsed: the error names the
	// variable and never the password.
	t.Run("MongoURI", func(t *testing.T) { storetesting.RunRejectsBadMongoURI(t, run) })
	badFleet := writeFile(t, "fleet.json",
		`[{"id":"a","capacity":1,"max_weight":1},{"id":"b","capacity":1,"max_weight":1},{"id":"c","capacity":1,"max_weight":0}]`)
	missing := filepath.Join(t.TempDir(), "missing.json")
	tests := []struct {
		name       string
		args       []string
		vars       map[string]string
		wantErr    string // the whole error
		wantStderr string // a substring of stderr; "" for none
	}{
		{
			name:    "invalid vessel in VESSELS_FILE",
			vars:    map[string]string{EnvVesselsFile: badFleet},
			wantErr: "config: VESSELS_FILE: " + badFleet + ": [2].max_weight: must be positive, got 0",
		},
		{
			name:    "missing VESSELS_FILE",
			vars:    map[string]string{EnvVesselsFile: missing},
			wantErr: "config: VESSELS_FILE: load fleet: open " + missing + ": no such file or directory",
		},
		{
			name:    "unknown MICRO_REGISTRY",
			vars:    map[string]string{platform.EnvRegistry: "carrier-pigeon"},
			wantErr: `config: MICRO_REGISTRY: "carrier-pigeon" is not supported (want mdns or consul)`,
		},
		{
			name:    "bad LOG_LEVEL",
			vars:    map[string]string{platform.EnvLogLevel: "loud"},
			wantErr: `config: LOG_LEVEL: "loud" is not a level (debug, info, warn or error)`,
		},
		{
			name:       "arguments",
			args:       []string{"--registry=mdns"},
			wantErr:    `unexpected argument "--registry=mdns"`,
			wantStderr: "usage: shippy-service-vessel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, storetesting.Getenv(tt.vars), &stdout, &stderr)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("run() = %v, want %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("run logged before failing, so it started something: %q", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) || (tt.wantStderr == "" && stderr.Len() != 0) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestServeAuth runs the service over mDNS beside stand-ins for the user
// and consignment services, which only publish their public keys: a call
// without a valid token for the vessel service is refused with 401, the
// handler's role checks apply to the others, and health and metrics answer
// without a token.
func TestServeAuth(t *testing.T) {
	netns.Require(t)
	cfg, err := platform.LoadConfig(func(string) string { return "" }) // mDNS
	if err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	users := publishKey(t, reg, userpb.ServiceName)
	consignments := publishKey(t, reg, consignmentpb.ServiceName)
	metricsAddr := "127.0.0.1:" + testenv.FreePort(t)
	node := startService(t, map[string]string{
		platform.EnvServerAddress:   "127.0.0.1:0",
		platform.EnvMetricsAddress:  metricsAddr,
		platform.EnvShutdownTimeout: "5s",
		store.EnvDataDir:            t.TempDir(),
	}, reg)

	vessels := vesselpb.NewVesselService(vesselpb.ServiceName, platform.NewClient(reg))
	customer := sign(t, users, userpb.ServiceName, "user-1", auth.RoleCustomer, userpb.TokenAudience)
	consignment := sign(t, consignments, consignmentpb.ServiceName, consignmentpb.ServiceName, auth.RoleService, vesselpb.ServiceName)
	book := func(ctx context.Context) error {
		_, err := vessels.Book(ctx, &vesselpb.BookRequest{ConsignmentId: "c1", Containers: 1, Weight: 1})
		return err
	}
	list := func(ctx context.Context) error {
		_, err := vessels.ListVessels(ctx, &vesselpb.ListVesselsRequest{})
		return err
	}
	tests := []struct {
		name  string
		token string // "" for none
		call  func(context.Context) error
		want  rpcerr.Reason // "" for success
		// detail says which check refused the call: the server's
		// wrapper, or the handler's
		detail string
	}{
		{"no token", "", list, rpcerr.Unauthenticated, "unauthenticated: missing token"},
		{"not a token", "not-a-jwt", list, rpcerr.Unauthenticated, "unauthenticated: malformed token"},
		{"customer lists the fleet", customer, list, "", ""},
		{"customer books", customer, book, rpcerr.Forbidden, "forbidden: requires role service"},
		{"consignment service books", consignment, book, "", ""},
		{
			name:   "consignment service's token for another audience",
			token:  sign(t, consignments, consignmentpb.ServiceName, consignmentpb.ServiceName, auth.RoleService, userpb.TokenAudience),
			call:   list,
			want:   rpcerr.Unauthenticated,
			detail: "unauthenticated: wrong audience",
		},
		{
			name:   "user service's issuer with the consignment service's key",
			token:  sign(t, consignments, userpb.ServiceName, "user-1", auth.RoleOperator, userpb.TokenAudience),
			call:   list,
			want:   rpcerr.Unauthenticated,
			detail: "unauthenticated: unknown signing key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.token != "" {
				ctx = auth.WithToken(ctx, tt.token)
			}
			err := tt.call(ctx)
			if got := rpcerr.Classify(err); got.Reason != tt.want || got.Detail != tt.detail {
				t.Errorf("error %v (reason %q), want reason %q with detail %q", err, got.Reason, tt.want, tt.detail)
			}
		})
	}

	t.Run("health without a token", func(t *testing.T) {
		conn, err := grpc.NewClient(node.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		health := healthpb.NewHealthClient(conn)
		testenv.WaitFor(t, "health SERVING", func() bool {
			rsp, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{Service: vesselpb.ServiceName})
			return err == nil && rsp.GetStatus() == healthpb.HealthCheckResponse_SERVING
		})
	})
	t.Run("metrics without a token", func(t *testing.T) {
		rsp, err := http.Get("http://" + metricsAddr + platform.MetricsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer rsp.Body.Close()
		body, err := io.ReadAll(rsp.Body)
		if err != nil || rsp.StatusCode != http.StatusOK || !strings.Contains(string(body), "shippy_vessel_bookings_total") {
			t.Errorf("GET %s = %d, %v; want 200 with the bookings counter", platform.MetricsPath, rsp.StatusCode, err)
		}
	})
}

// startService runs the service (run) with vars, and returns its node once
// reg lists it. The service stops when the test ends, and run must then
// return nil; its logs are shown when the test failed.
func startService(t *testing.T, vars map[string]string, reg registry.Registry) *registry.Node {
	t.Helper()
	testenv.StartProgram(t, run, storetesting.Getenv(vars))
	var node *registry.Node
	testenv.WaitFor(t, vesselpb.ServiceName+" registered", func() bool {
		services, err := reg.GetService(vesselpb.ServiceName)
		if err != nil || len(services) == 0 || len(services[0].Nodes) == 0 {
			return false
		}
		node = services[0].Nodes[0]
		return true
	})
	return node
}

// publishKey registers in reg a node of the service name that publishes the
// public half of a new key, as the service does, and returns the key. The
// node is deregistered when the test ends.
func publishKey(t *testing.T, reg registry.Registry, name string) auth.PrivateKey {
	t.Helper()
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	svc := &registry.Service{Name: name, Version: "test", Nodes: []*registry.Node{{
		Id:       name + "-test",
		Address:  "127.0.0.1:1",
		Metadata: map[string]string{auth.MetadataKey: auth.EncodePublicKeys([]auth.PublicKey{key.Public()})},
	}}}
	if err := reg.Register(svc); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	t.Cleanup(func() { _ = reg.Deregister(svc) })
	return key
}

// sign returns a token of issuer, signed with key, for subject with role,
// for audience.
func sign(t *testing.T, key auth.PrivateKey, issuer, subject string, role auth.Role, audience string) string {
	t.Helper()
	signer, err := auth.NewSigner(key, issuer, time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := signer.Sign(subject, role, audience)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
