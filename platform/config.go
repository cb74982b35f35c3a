// Package platform is the service plumbing every Shippy program shares: its
// configuration from the environment, the go-micro registry, client and
// server it runs on, structured logging, and a clean shutdown that drains
// in-flight calls. What belongs to one domain stays in that service.
package platform

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Environment variables read by LoadConfig. The MICRO_* names are go-micro's
// own, so a go-micro user's habits carry over.
const (
	EnvRegistry        = "MICRO_REGISTRY"
	EnvRegistryAddress = "MICRO_REGISTRY_ADDRESS"
	EnvServerAddress   = "MICRO_SERVER_ADDRESS"
	EnvShutdownTimeout = "SHUTDOWN_TIMEOUT"
	EnvLogLevel        = "LOG_LEVEL"
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
	// ShutdownTimeout bounds how long a stopping service waits for its
	// in-flight calls.
	ShutdownTimeout time.Duration
	// LogLevel is the lowest level logged.
	LogLevel slog.Level
}

// LoadConfig reads Config from getenv, fills in defaults, and validates it.
// Errors name the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		Registry:        RegistryMDNS,
		ServerAddress:   ":0",
		ShutdownTimeout: 15 * time.Second,
		LogLevel:        slog.LevelInfo,
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
	if v := getenv(EnvShutdownTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a duration (for example 15s)", EnvShutdownTimeout, v)
		}
		cfg.ShutdownTimeout = d
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a level (debug, info, warn or error)", EnvLogLevel, v)
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
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("%s: must be positive, got %s", EnvShutdownTimeout, c.ShutdownTimeout)
	}
	return nil
}
