package main

import (
	"fmt"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Environment variables of the vessel service, besides the platform's.
const (
	// EnvVesselsFile names a JSON fleet file (see package fleet) seeded at
	// start; unset, the built-in fleet is seeded.
	EnvVesselsFile = "VESSELS_FILE"
	// EnvDataDir is the directory of the embedded database; it is created
	// at start when missing.
	EnvDataDir = "DATA_DIR"
	// EnvMongoURI is the MongoDB connection string (reserved).
	EnvMongoURI = "MONGO_URI"
)

// DefaultDataDir is the embedded database's directory when DATA_DIR is
// unset, relative to the working directory.
const DefaultDataDir = "data"

// dbFile is the embedded database's file name inside the data directory.
const dbFile = "vessel.db"

// Config is the vessel service's configuration.
type Config struct {
	Platform platform.Config
	// VesselsFile is the fleet file, or "" for the built-in fleet.
	VesselsFile string
	// Fleet is the fleet to seed: read from VesselsFile, or built in.
	Fleet []vessel.Vessel
	// DataDir is the embedded database's directory.
	DataDir string
	// MongoURI is read but not used yet; it is logged at start so that an
	// operator who set it is not surprised.
	MongoURI string
}

// loadConfig reads Config from getenv, fills in defaults, reads the fleet
// file and validates it all. Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	pcfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Platform:    pcfg,
		VesselsFile: getenv(EnvVesselsFile),
		DataDir:     getenv(EnvDataDir),
		MongoURI:    getenv(EnvMongoURI),
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
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
	return nil
}

// fleetSource says where the fleet comes from, for the log.
func (c Config) fleetSource() string {
	if c.VesselsFile == "" {
		return "built-in"
	}
	return c.VesselsFile
}
