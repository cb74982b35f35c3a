package main

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Environment variables of the vessel service, besides the platform's.
const (
	// EnvVesselsFile names a JSON fleet file (see package fleet) seeded at
	// start; unset, the built-in fleet is seeded.
	EnvVesselsFile = "VESSELS_FILE"
)

// mongoSelectTimeout is how long a MongoDB call waits for a server to send
// it to: while MongoDB is down, calls fail (503) after that long.
const mongoSelectTimeout = 5 * time.Second

// dbFile is the embedded database's file name inside the data directory.
const dbFile = "vessel.db"

// Config is the vessel service's configuration.
type Config struct {
	Platform platform.Config
	// VesselsFile is the fleet file, or "" for the built-in fleet.
	VesselsFile string
	// Fleet is the fleet to seed: read from VesselsFile, or built in.
	Fleet []vessel.Vessel
	// Storage says where vessels and bookings are kept.
	Storage platform.StorageConfig
}

// loadConfig reads Config from getenv, fills in defaults, reads the fleet
// file and validates it all. Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	pcfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	storage, err := platform.LoadStorageConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Platform:    pcfg,
		VesselsFile: getenv(EnvVesselsFile),
		Storage:     storage,
	}
	if cfg.VesselsFile == "" {
		cfg.Fleet = fleet.Default()
	} else if cfg.Fleet, err = fleet.Load(cfg.VesselsFile); err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvVesselsFile, err)
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	if err := c.Platform.Validate(); err != nil {
		return err
	}
	if err := vessel.ValidateFleet(c.Fleet); err != nil {
		return fmt.Errorf("%s: %w", EnvVesselsFile, err)
	}
	return c.Storage.Validate()
}

// fleetSource says where the fleet comes from, for the log.
func (c Config) fleetSource() string {
	if c.VesselsFile == "" {
		return "built-in"
	}
	return c.VesselsFile
}
