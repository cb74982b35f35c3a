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

// failingCloser counts its Close calls and fails them.
type failingCloser struct{ closed int }

func (c *failingCloser) Close() error { c.closed++; return errors.New("disk gone") }

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
		file := &failingCloser{}
		var traced string // the system the repository was traced on
		b := Backends[string]{
			Holds:    "things",
			File:     "things.db",
			OpenBolt: func(string) (string, io.Closer, error) { return "repo", file, nil },
			NewMongo: func(*mongo.Database) (string, error) { return "", errors.New("not used") },
		}
		trace := func(repo string, _ trace.TracerProvider, system string) string {
			traced = system
			return "traced " + repo
		}
		var stdout bytes.Buffer
		s, err := NewService(context.Background(), "shippy.test.things", cfg, b, trace, &stdout)
		if err != nil {
			t.Fatalf("NewService (tracing %v): %v", tracing, err)
		}
		wantRepo, wantTraced := "repo", ""
		if tracing {
			wantRepo, wantTraced = "traced repo", SystemBolt
		}
		if s.Repo != wantRepo || traced != wantTraced || s.Store.Repo != "repo" {
			t.Errorf("tracing %v: Repo %q traced on %q, Store.Repo %q; want %q on %q, %q", tracing, s.Repo, traced, s.Store.Repo, wantRepo, wantTraced, "repo")
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
