package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

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
