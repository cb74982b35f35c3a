package main

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// Environment variables of the consignment service, besides the platform's.
const (
	// EnvVesselTimeout bounds each call to the vessel service, retries
	// included, as a Go duration ("5s").
	EnvVesselTimeout = "VESSEL_TIMEOUT"
)

// Config is the consignment service's configuration.
type Config struct {
	Platform platform.Config
	// Storage says where consignments are kept.
	Storage store.Config
	// VesselTimeout bounds each Book or Release call to the vessel service.
	VesselTimeout time.Duration
}

// envUsage is the help of the service's own variables, for its usage
// message.
func envUsage() []platform.EnvVar {
	return append([]platform.EnvVar{
		{Name: EnvVesselTimeout, Help: "bound of each call to the vessel service (default " + vesselclient.DefaultTimeout.String() + ")"},
	}, store.EnvUsage("consignments")...)
}

// loadConfig reads Config from getenv, fills in defaults and validates it.
// Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{VesselTimeout: vesselclient.DefaultTimeout}
	var err error
	if cfg.Platform, err = platform.LoadConfig(getenv); err != nil {
		return Config{}, err
	}
	if cfg.Storage, err = store.LoadConfig(getenv); err != nil {
		return Config{}, err
	}
	if v := getenv(EnvVesselTimeout); v != "" {
		if cfg.VesselTimeout, err = time.ParseDuration(v); err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a duration (for example 5s)", EnvVesselTimeout, v)
		}
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	if err := c.Platform.Validate(); err != nil {
		return err
	}
	if c.VesselTimeout <= 0 {
		return fmt.Errorf("%s: must be positive, got %s", EnvVesselTimeout, c.VesselTimeout)
	}
	return c.Storage.Validate()
}
