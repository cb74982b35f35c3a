package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/testenv"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	// checked is what these cases check of Config: the registry stays the
	// platform default in all of them.
	type checked struct {
		VesselTimeout     time.Duration
		DataDir, Registry string
		EventsURL         string
	}
	load := func(getenv func(string) string) (checked, error) {
		cfg, err := loadConfig(getenv)
		return checked{cfg.VesselTimeout, cfg.Storage.DataDir, cfg.Platform.Registry, cfg.EventsURL}, err
	}
	mdns := platform.RegistryMDNS
	testenv.CheckConfigs(t, load, []testenv.ConfigCase[checked]{
		{Name: "defaults", Want: checked{5 * time.Second, store.DefaultDataDir, mdns, ""}},
		{Name: "vessel timeout", Env: map[string]string{EnvVesselTimeout: "250ms"}, Want: checked{250 * time.Millisecond, store.DefaultDataDir, mdns, ""}},
		{Name: "broker", Env: map[string]string{events.EnvURL: " nats://127.0.0.1:4222 "}, Want: checked{5 * time.Second, store.DefaultDataDir, mdns, "nats://127.0.0.1:4222"}},
		{Name: "data dir read", Env: map[string]string{store.EnvDataDir: "/var/lib/shippy"}, Want: checked{5 * time.Second, "/var/lib/shippy", mdns, ""}},
		{Name: "vessel timeout not a duration", Env: map[string]string{EnvVesselTimeout: "5"}, WantErr: EnvVesselTimeout + `: "5" is not a duration`},
		{Name: "vessel timeout zero", Env: map[string]string{EnvVesselTimeout: "0s"}, WantErr: EnvVesselTimeout + ": must be positive"},
		{Name: "vessel timeout negative", Env: map[string]string{EnvVesselTimeout: "-1s"}, WantErr: EnvVesselTimeout + ": must be positive"},
		{Name: "platform setting", Env: map[string]string{platform.EnvRegistry: "carrier-pigeon"}, WantErr: platform.EnvRegistry},
	})
}

// TestRunRejectsBadConfig checks that run stops before it builds the service
// (no registry, no listener) when the configuration or arguments are wrong.
func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()
	// A connection string that cannot be parsed: the error names the
	// variable and never the password.
	t.Run("MongoURI", func(t *testing.T) { storetesting.RunRejectsBadMongoURI(t, run) })
	tests := []struct {
		name       string
		args       []string
		vars       map[string]string
		wantErr    string
		wantStderr string // a substring of stderr; "" for none
	}{
		{name: "bad vessel timeout", vars: map[string]string{EnvVesselTimeout: "soon"}, wantErr: EnvVesselTimeout},
		{name: "bad platform setting", vars: map[string]string{platform.EnvLogLevel: "loud"}, wantErr: platform.EnvLogLevel},
		{name: "arguments", args: []string{"--registry=mdns"}, wantErr: "unexpected argument", wantStderr: "usage: shippy-service-consignment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, storetesting.Getenv(tt.vars), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run() = %v, want an error containing %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("run() logged before failing on its configuration:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) || (tt.wantStderr == "" && stderr.Len() != 0) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
