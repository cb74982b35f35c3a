package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform"
)

// testConfig is the configuration of a test service.
type testConfig struct {
	ServiceConfig
	Extra string
}

// TestServe serves a service on the embedded database, with and without
// tracing, and closes its store. It registers nothing: the service does not
// Run, and its registry (Consul at an address where nothing listens) is
// never asked.
func TestServe(t *testing.T) {
	t.Parallel()
	errServe := errors.New("serve failed")
	for _, tt := range []struct {
		tracing  bool
		serveErr error
		want     string // Serve's error
	}{
		{tracing: false, want: "close store: disk gone"},
		{tracing: true, want: "close store: disk gone"},
		{serveErr: errServe, want: "serve failed"},
	} {
		vars := map[string]string{
			platform.EnvRegistry:        platform.RegistryConsul,
			platform.EnvRegistryAddress: "127.0.0.1:1",
			EnvDataDir:                  t.TempDir(),
		}
		if tt.tracing {
			vars[platform.EnvOTLPEndpoint] = "http://127.0.0.1:1"
		}
		base, err := LoadServiceConfig(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatalf("LoadServiceConfig: %v", err)
		}
		file := &repo{name: "bolt", closeErr: errors.New("disk gone")}
		var traced string // the system the repository was traced on
		b := Backends[*repo]{
			Holds:    "things",
			File:     "things.db",
			OpenBolt: func(string) (*repo, io.Closer, error) { return file, file, nil },
			NewMongo: func(*mongo.Database) (*repo, error) { return nil, errors.New("not used") },
		}
		trace := func(r *repo, _ trace.TracerProvider, system string) *repo {
			traced = system
			return &repo{name: "traced " + r.name}
		}
		var served *Service[*repo]
		var gotCfg testConfig
		serve := Serve("shippy.test.things", b, trace, func(_ context.Context, cfg testConfig, s *Service[*repo]) error {
			served, gotCfg = s, cfg
			if file.closed != 0 {
				t.Error("the store is closed before serve returns")
			}
			return tt.serveErr
		})
		var stdout bytes.Buffer
		err = serve(context.Background(), testConfig{ServiceConfig: base, Extra: "x"}, &stdout)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Serve (tracing %v) = %v, want %q", tt.tracing, err, tt.want)
		}
		if served == nil || gotCfg.Extra != "x" {
			t.Fatalf("serve called with %v, %+v; want the service and the configuration", served, gotCfg)
		}
		wantRepo, wantTraced := "bolt", ""
		if tt.tracing {
			wantRepo, wantTraced = "traced bolt", SystemBolt
		}
		if served.Repo.name != wantRepo || traced != wantTraced || served.Store.Repo != file {
			t.Errorf("tracing %v: Repo %q traced on %q, Store.Repo %q; want %q on %q, the store's", tt.tracing, served.Repo.name, traced, served.Store.Repo.name, wantRepo, wantTraced)
		}
		if file.closed != 1 {
			t.Errorf("store closed %d times after serve, want once", file.closed)
		}
		if !strings.Contains(stdout.String(), "things are kept in the embedded database") {
			t.Errorf("log %q does not say where things are kept", stdout.String())
		}
	}
}
