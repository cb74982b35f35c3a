package platform

import (
	"log/slog"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	testenv.CheckConfigs(t, LoadConfig, []testenv.ConfigCase[Config]{
		{
			Name: "defaults",
			Want: Config{
				Registry: "mdns", ServerAddress: ":0", RegisterTTL: 30 * time.Second, RegisterInterval: 10 * time.Second,
				ShutdownTimeout: 15 * time.Second, LogLevel: slog.LevelInfo,
			},
		},
		{
			Name: "everything set",
			Env: map[string]string{
				EnvRegistry: "consul", EnvRegistryAddress: "127.0.0.1:8500, 127.0.0.1:8501",
				EnvServerAddress: "127.0.0.1:9090", EnvRegisterTTL: "3s", EnvRegisterInterval: "500ms",
				EnvShutdownTimeout: "3s", EnvLogLevel: "debug",
			},
			Want: Config{
				Registry: "consul", RegistryAddresses: []string{"127.0.0.1:8500", "127.0.0.1:8501"},
				ServerAddress: "127.0.0.1:9090", RegisterTTL: 3 * time.Second, RegisterInterval: 500 * time.Millisecond,
				ShutdownTimeout: 3 * time.Second, LogLevel: slog.LevelDebug,
			},
		},
		{
			Name: "go-micro's whole seconds",
			Env:  map[string]string{EnvRegisterTTL: "60", EnvRegisterInterval: "20", EnvShutdownTimeout: "5"},
			Want: Config{
				Registry: "mdns", ServerAddress: ":0", RegisterTTL: time.Minute, RegisterInterval: 20 * time.Second,
				ShutdownTimeout: 5 * time.Second, LogLevel: slog.LevelInfo,
			},
		},
		{Name: "unknown registry", Env: map[string]string{EnvRegistry: "etcd"}, WantErr: `MICRO_REGISTRY: "etcd" is not supported`},
		{Name: "bad timeout", Env: map[string]string{EnvShutdownTimeout: "soon"}, WantErr: `SHUTDOWN_TIMEOUT: "soon" is not a duration`},
		{Name: "negative timeout", Env: map[string]string{EnvShutdownTimeout: "-1s"}, WantErr: "SHUTDOWN_TIMEOUT: must be positive"},
		{Name: "bad ttl", Env: map[string]string{EnvRegisterTTL: "a while"}, WantErr: `MICRO_REGISTER_TTL: "a while" is not a duration`},
		{Name: "zero ttl", Env: map[string]string{EnvRegisterTTL: "0"}, WantErr: "MICRO_REGISTER_TTL: must be positive"},
		{Name: "bad interval", Env: map[string]string{EnvRegisterInterval: "often"}, WantErr: `MICRO_REGISTER_INTERVAL: "often" is not a duration`},
		{Name: "negative interval", Env: map[string]string{EnvRegisterInterval: "-10s"}, WantErr: "MICRO_REGISTER_INTERVAL: must be positive"},
		{
			Name:    "interval as long as the ttl",
			Env:     map[string]string{EnvRegisterTTL: "10s", EnvRegisterInterval: "10s"},
			WantErr: "MICRO_REGISTER_INTERVAL: must be shorter than MICRO_REGISTER_TTL (10s), got 10s",
		},
		{
			Name:    "interval longer than the default ttl",
			Env:     map[string]string{EnvRegisterInterval: "1m"},
			WantErr: "MICRO_REGISTER_INTERVAL: must be shorter than MICRO_REGISTER_TTL (30s), got 1m0s",
		},
		{Name: "bad log level", Env: map[string]string{EnvLogLevel: "loud"}, WantErr: "LOG_LEVEL: "},
	})
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
