package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		vars              map[string]string
		wantVesselTimeout time.Duration
		wantDataDir       string
		wantErr           string // a substring; empty means no error
	}{
		{name: "defaults", wantVesselTimeout: 5 * time.Second, wantDataDir: store.DefaultDataDir},
		{name: "vessel timeout", vars: map[string]string{EnvVesselTimeout: "250ms"}, wantVesselTimeout: 250 * time.Millisecond, wantDataDir: store.DefaultDataDir},
		{name: "data dir read", vars: map[string]string{store.EnvDataDir: "/var/lib/shippy"}, wantVesselTimeout: 5 * time.Second, wantDataDir: "/var/lib/shippy"},
		{name: "vessel timeout not a duration", vars: map[string]string{EnvVesselTimeout: "5"}, wantErr: EnvVesselTimeout + `: "5" is not a duration`},
		{name: "vessel timeout zero", vars: map[string]string{EnvVesselTimeout: "0s"}, wantErr: EnvVesselTimeout + ": must be positive"},
		{name: "vessel timeout negative", vars: map[string]string{EnvVesselTimeout: "-1s"}, wantErr: EnvVesselTimeout + ": must be positive"},
		{name: "platform setting", vars: map[string]string{platform.EnvRegistry: "carrier-pigeon"}, wantErr: platform.EnvRegistry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(storetesting.Getenv(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() = %v, want nil", err)
			}
			if cfg.VesselTimeout != tt.wantVesselTimeout {
				t.Errorf("VesselTimeout = %v, want %v", cfg.VesselTimeout, tt.wantVesselTimeout)
			}
			storetesting.CheckServiceConfig(t, cfg.ServiceConfig, tt.wantDataDir)
		})
	}
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
