// Package platform is the service plumbing every Shippy program shares: its
// configuration from the environment, the go-micro registry, client and
// server it runs on, structured logging, and a clean shutdown that drains
// in-flight calls. What belongs to one domain stays in that service.
package platform

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/platform/failpoint"
)

// Environment variables read by LoadConfig. The MICRO_* names are go-micro's
// own, so a go-micro user's habits carry over.
const (
	EnvRegistry         = "MICRO_REGISTRY"
	EnvRegistryAddress  = "MICRO_REGISTRY_ADDRESS"
	EnvServerAddress    = "MICRO_SERVER_ADDRESS"
	EnvRegisterTTL      = "MICRO_REGISTER_TTL"
	EnvRegisterInterval = "MICRO_REGISTER_INTERVAL"
	EnvShutdownTimeout  = "SHUTDOWN_TIMEOUT"
	EnvLogLevel         = "LOG_LEVEL"
	EnvMetricsAddress   = "METRICS_ADDRESS"
	// OpenTelemetry's own names: tracing is on when either is set; the
	// traces-only one wins when both are.
	EnvOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// Registration timing defaults. See Config.RegisterTTL.
const (
	DefaultRegisterTTL      = 30 * time.Second
	DefaultRegisterInterval = 10 * time.Second
)

// Registries that NewRegistry knows.
const (
	RegistryMDNS   = "mdns"
	RegistryConsul = "consul"
)

// Config is what every program reads from its environment.
type Config struct {
	// Registry is RegistryMDNS (the default) or RegistryConsul.
	Registry string
	// RegistryAddresses are the registry's addresses (host:port); empty
	// means the registry's default (mDNS needs none; Consul's is
	// 127.0.0.1:8500).
	RegistryAddresses []string
	// ServerAddress is the address a service listens on; the default ":0"
	// takes any free port.
	ServerAddress string
	// RegisterTTL is how long the registry keeps an instance that stops
	// renewing its registration: one killed without deregistering leaves
	// discovery within it, where the registry honours TTLs (Consul does;
	// mDNS announces a goodbye only on a clean stop).
	RegisterTTL time.Duration
	// RegisterInterval is how often an instance renews its registration,
	// and so registers again after the registry lost it (a restarted
	// Consul agent). It must be shorter than RegisterTTL.
	RegisterInterval time.Duration
	// ShutdownTimeout bounds how long a stopping service waits for its
	// in-flight calls.
	ShutdownTimeout time.Duration
	// LogLevel is the lowest level logged.
	LogLevel slog.Level
	// MetricsAddress is where a service serves Prometheus metrics over
	// HTTP (host:port, port 0 for any free one); empty, the default, means
	// no metrics server.
	MetricsAddress string
	// TracesEndpoint is the OTLP/gRPC endpoint spans are exported to, an
	// http:// (no TLS) or https:// URL; empty, the default, means tracing
	// is off. See NewTracing.
	TracesEndpoint string
	// Failpoint is the step of a create at which the process kills
	// itself (failpoint.EnvFailpoint), for tests only; nil in production.
	Failpoint *failpoint.Point
}

// LoadConfig reads Config from getenv, fills in defaults, and validates it.
// Errors name the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		Registry:         RegistryMDNS,
		ServerAddress:    ":0",
		RegisterTTL:      DefaultRegisterTTL,
		RegisterInterval: DefaultRegisterInterval,
		ShutdownTimeout:  15 * time.Second,
		LogLevel:         slog.LevelInfo,
	}
	if v := getenv(EnvRegistry); v != "" {
		cfg.Registry = v
	}
	for _, addr := range strings.Split(getenv(EnvRegistryAddress), ",") {
		if addr = strings.TrimSpace(addr); addr != "" {
			cfg.RegistryAddresses = append(cfg.RegistryAddresses, addr)
		}
	}
	if v := getenv(EnvServerAddress); v != "" {
		cfg.ServerAddress = v
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{EnvRegisterTTL, &cfg.RegisterTTL},
		{EnvRegisterInterval, &cfg.RegisterInterval},
		{EnvShutdownTimeout, &cfg.ShutdownTimeout},
	} {
		if v := getenv(d.name); v != "" {
			var err error
			if *d.dst, err = parseDuration(v); err != nil {
				return Config{}, fmt.Errorf("%s: %w", d.name, err)
			}
		}
	}
	fp, err := failpoint.FromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg.Failpoint = fp
	if v := getenv(EnvLogLevel); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a level (debug, info, warn or error)", EnvLogLevel, v)
		}
	}
	cfg.MetricsAddress = getenv(EnvMetricsAddress)
	for _, name := range []string{EnvOTLPTracesEndpoint, EnvOTLPEndpoint} {
		if v := getenv(name); v != "" {
			if err := checkEndpoint(v); err != nil {
				return Config{}, fmt.Errorf("%s: %w", name, err)
			}
			cfg.TracesEndpoint = v
			break
		}
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	switch c.Registry {
	case RegistryMDNS, RegistryConsul:
	default:
		return fmt.Errorf("%s: %q is not supported (want %s or %s)", EnvRegistry, c.Registry, RegistryMDNS, RegistryConsul)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{EnvRegisterTTL, c.RegisterTTL},
		{EnvRegisterInterval, c.RegisterInterval},
		{EnvShutdownTimeout, c.ShutdownTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%s: must be positive, got %s", d.name, d.v)
		}
	}
	if c.RegisterInterval >= c.RegisterTTL {
		return fmt.Errorf("%s: must be shorter than %s (%s), got %s",
			EnvRegisterInterval, EnvRegisterTTL, c.RegisterTTL, c.RegisterInterval)
	}
	if c.MetricsAddress != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddress); err != nil {
			return fmt.Errorf("%s: %q is not host:port (for example :9100)", EnvMetricsAddress, c.MetricsAddress)
		}
	}
	if c.TracesEndpoint != "" {
		if err := checkEndpoint(c.TracesEndpoint); err != nil {
			return fmt.Errorf("%s: %w", EnvOTLPEndpoint, err)
		}
	}
	return nil
}

// checkEndpoint accepts an OTLP/gRPC endpoint URL: http:// or https://,
// with a host.
func checkEndpoint(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL (for example http://127.0.0.1:4317)", v)
	}
	return nil
}

// parseDuration reads a Go duration ("15s", "1m30s") or a whole number of
// seconds, the form go-micro itself reads MICRO_REGISTER_TTL in ("30").
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (for example 15s, or 15 for seconds)", v)
	}
	return d, nil
}
