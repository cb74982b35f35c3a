package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/mongo"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform"
)

// TestNewService makes a service on the embedded database, with and without
// tracing, and closes its store. It registers nothing: Run is not called,
// and the registry (Consul at an address where nothing listens) is never
// asked.
func TestNewService(t *testing.T) {
	t.Parallel()
	for _, tracing := range []bool{false, true} {
		vars := map[string]string{
			platform.EnvRegistry:        platform.RegistryConsul,
			platform.EnvRegistryAddress: "127.0.0.1:1",
			EnvDataDir:                  t.TempDir(),
		}
		if tracing {
			vars[platform.EnvOTLPEndpoint] = "http://127.0.0.1:1"
		}
		cfg, err := LoadServiceConfig(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatalf("LoadServiceConfig: %v", err)
		}
		file := &repo{name: "bolt", closeErr: errors.New("disk gone")}
		var traced string // the system the repository was traced on
		b := Backends[*repo]{
			Holds:    "things",
			File:     "things.db",
			OpenBolt: func(string) (*repo, error) { return file, nil },
			NewMongo: func(*mongo.Database) (*repo, error) { return nil, errors.New("not used") },
		}
		trace := func(r *repo, _ trace.TracerProvider, system string) *repo {
			traced = system
			return &repo{name: "traced " + r.name}
		}
		var stdout bytes.Buffer
		s, err := NewService(context.Background(), "shippy.test.things", cfg, b, trace, &stdout)
		if err != nil {
			t.Fatalf("NewService (tracing %v): %v", tracing, err)
		}
		wantRepo, wantTraced := "bolt", ""
		if tracing {
			wantRepo, wantTraced = "traced bolt", SystemBolt
		}
		if s.Repo.name != wantRepo || traced != wantTraced || s.Store.Repo != file {
			t.Errorf("tracing %v: Repo %q traced on %q, Store.Repo %q; want %q on %q, the store's", tracing, s.Repo.name, traced, s.Store.Repo.name, wantRepo, wantTraced)
		}
		if !strings.Contains(stdout.String(), "things are kept in the embedded database") {
			t.Errorf("log %q does not say where things are kept", stdout.String())
		}
		var runErr error
		s.CloseStore(&runErr)
		if file.closed != 1 || runErr == nil || !strings.Contains(runErr.Error(), "close store: disk gone") {
			t.Errorf("CloseStore: file closed %d times, error %v; want once, close store: disk gone", file.closed, runErr)
		}
		first := errors.New("run failed")
		runErr = first
		s.CloseStore(&runErr)
		if runErr != first {
			t.Errorf("CloseStore after a failed run set the error to %v, want the run's %v", runErr, first)
		}
	}
}
