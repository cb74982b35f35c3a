package main

import (
	"fmt"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Environment variables of the vessel service, besides the platform's.
const (
	// EnvVesselsFile names a JSON fleet file (see package fleet) seeded at
	// start; unset, the built-in fleet is seeded.
	EnvVesselsFile = "VESSELS_FILE"
)

// holds says what the service's store keeps, for its log and usage.
const holds = "vessels and bookings"

// Config is the vessel service's configuration.
type Config struct {
	// ServiceConfig has the platform's settings, and where vessels and
	// bookings are kept.
	store.ServiceConfig
	// VesselsFile is the fleet file, or "" for the built-in fleet.
	VesselsFile string
	// Fleet is the fleet to seed: read from VesselsFile, or built in.
	Fleet []vessel.Vessel
}

// envUsage is the help of the service's own variables, for its usage
// message.
func envUsage() []platform.EnvVar {
	return append([]platform.EnvVar{
		{Name: EnvVesselsFile, Help: "JSON fleet seeded at start (default: the built-in fleet)"},
	}, store.EnvUsage(holds)...)
}

// loadConfig reads Config from getenv, fills in defaults, reads the fleet
// file and validates it all. Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	base, err := store.LoadServiceConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{ServiceConfig: base, VesselsFile: getenv(EnvVesselsFile)}
	if cfg.VesselsFile == "" {
		cfg.Fleet = fleet.Default()
	} else if cfg.Fleet, err = fleet.Load(cfg.VesselsFile); err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvVesselsFile, err)
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	if err := vessel.ValidateFleet(c.Fleet); err != nil {
		return fmt.Errorf("%s: %w", EnvVesselsFile, err)
	}
	return c.ServiceConfig.Validate()
}

// fleetSource says where the fleet comes from, for the log.
func (c Config) fleetSource() string {
	if c.VesselsFile == "" {
		return "built-in"
	}
	return c.VesselsFile
}
