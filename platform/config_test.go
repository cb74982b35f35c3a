package platform

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string // substring; empty means no error
	}{
		{
			name: "defaults",
			want: Config{
				Registry: "mdns", ServerAddress: ":0", RegisterTTL: 30 * time.Second, RegisterInterval: 10 * time.Second,
				ShutdownTimeout: 15 * time.Second, LogLevel: slog.LevelInfo,
			},
		},
		{
			name: "everything set",
			env: map[string]string{
				EnvRegistry: "consul", EnvRegistryAddress: "127.0.0.1:8500, 127.0.0.1:8501",
				EnvServerAddress: "127.0.0.1:9090", EnvRegisterTTL: "3s", EnvRegisterInterval: "500ms",
				EnvShutdownTimeout: "3s", EnvLogLevel: "debug",
			},
			want: Config{
				Registry: "consul", RegistryAddresses: []string{"127.0.0.1:8500", "127.0.0.1:8501"},
				ServerAddress: "127.0.0.1:9090", RegisterTTL: 3 * time.Second, RegisterInterval: 500 * time.Millisecond,
				ShutdownTimeout: 3 * time.Second, LogLevel: slog.LevelDebug,
			},
		},
		{
			name: "go-micro's whole seconds",
			env:  map[string]string{EnvRegisterTTL: "60", EnvRegisterInterval: "20", EnvShutdownTimeout: "5"},
			want: Config{
				Registry: "mdns", ServerAddress: ":0", RegisterTTL: time.Minute, RegisterInterval: 20 * time.Second,
				ShutdownTimeout: 5 * time.Second, LogLevel: slog.LevelInfo,
			},
		},
		{name: "unknown registry", env: map[string]string{EnvRegistry: "etcd"}, wantErr: `MICRO_REGISTRY: "etcd" is not supported`},
		{name: "bad timeout", env: map[string]string{EnvShutdownTimeout: "soon"}, wantErr: `SHUTDOWN_TIMEOUT: "soon" is not a duration`},
		{name: "negative timeout", env: map[string]string{EnvShutdownTimeout: "-1s"}, wantErr: "SHUTDOWN_TIMEOUT: must be positive"},
		{name: "bad ttl", env: map[string]string{EnvRegisterTTL: "a while"}, wantErr: `MICRO_REGISTER_TTL: "a while" is not a duration`},
		{name: "zero ttl", env: map[string]string{EnvRegisterTTL: "0"}, wantErr: "MICRO_REGISTER_TTL: must be positive"},
		{name: "bad interval", env: map[string]string{EnvRegisterInterval: "often"}, wantErr: `MICRO_REGISTER_INTERVAL: "often" is not a duration`},
		{name: "negative interval", env: map[string]string{EnvRegisterInterval: "-10s"}, wantErr: "MICRO_REGISTER_INTERVAL: must be positive"},
		{
			name:    "interval as long as the ttl",
			env:     map[string]string{EnvRegisterTTL: "10s", EnvRegisterInterval: "10s"},
			wantErr: "MICRO_REGISTER_INTERVAL: must be shorter than MICRO_REGISTER_TTL (10s), got 10s",
		},
		{
			name:    "interval longer than the default ttl",
			env:     map[string]string{EnvRegisterInterval: "1m"},
			wantErr: "MICRO_REGISTER_INTERVAL: must be shorter than MICRO_REGISTER_TTL (30s), got 1m0s",
		},
		{name: "bad log level", env: map[string]string{EnvLogLevel: "loud"}, wantErr: "LOG_LEVEL: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := loadConfig(t, tt.env, tt.wantErr)
			if !ok {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadConfig() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewRegistry(t *testing.T) {
	t.Parallel()
	for _, name := range []string{RegistryMDNS, RegistryConsul} {
		reg, err := NewRegistry(Config{Registry: name})
		if err != nil {
			t.Fatalf("NewRegistry(%q) error = %v", name, err)
		}
		if got := reg.String(); got != name {
			t.Errorf("NewRegistry(%q).String() = %q", name, got)
		}
	}
	if _, err := NewRegistry(Config{Registry: "zookeeper"}); err == nil {
		t.Error("NewRegistry(zookeeper) error = nil, want one")
	}
}

// loadConfig runs LoadConfig over env and checks its error: one containing
// wantErr, or none when wantErr is empty. It fails t on any other outcome,
// and returns ok true only when there is a Config to check.
func loadConfig(t *testing.T, env map[string]string, wantErr string) (cfg Config, ok bool) {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("LoadConfig() error = %v, want one containing %q", err, wantErr)
		}
		return Config{}, false
	}
	if err != nil {
		t.Fatalf("LoadConfig() error = %v", err)
	}
	return cfg, true
}
