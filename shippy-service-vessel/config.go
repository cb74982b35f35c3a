package main

import (
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/x/mongo/driver/connstring"

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
	// EnvMongoURI is a MongoDB connection string ("mongodb://host:27017");
	// set, vessels and bookings are kept there instead of the embedded
	// database.
	EnvMongoURI = "MONGO_URI"
	// EnvDBHost is the tutorial's name for EnvMongoURI, read when
	// MONGO_URI is unset: a connection string, or a bare host[:port].
	EnvDBHost = "DB_HOST"
)

// MongoDatabase is the MongoDB database of the suite.
const MongoDatabase = "shippy"

// mongoSelectTimeout is how long a MongoDB call waits for a server to send
// it to: while MongoDB is down, calls fail (503) after that long.
const mongoSelectTimeout = 5 * time.Second

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
	// DataDir is the embedded database's directory, unused with MongoDB.
	DataDir string
	// MongoURI is the MongoDB connection string, from MONGO_URI or DB_HOST,
	// or "" for the embedded database. It may hold a password: it is never
	// logged or put in an error.
	MongoURI string
	// MongoURIFrom names the variable MongoURI comes from.
	MongoURIFrom string
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
	}
	cfg.MongoURI, cfg.MongoURIFrom = mongoURI(getenv)
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
	if c.MongoURI != "" {
		// The parser's errors do not repeat the password. A mongodb+srv
		// string is looked up in DNS here, as the driver would at connect.
		if _, err := connstring.ParseAndValidate(c.MongoURI); err != nil {
			return fmt.Errorf("%s: %w", c.MongoURIFrom, err)
		}
	}
	return nil
}

// mongoURI returns the MongoDB connection string and the variable it comes
// from: MONGO_URI, else DB_HOST, where a value without a scheme is a
// host[:port]. Both unset, it returns "".
func mongoURI(getenv func(string) string) (uri, from string) {
	if uri := getenv(EnvMongoURI); uri != "" {
		return uri, EnvMongoURI
	}
	host := getenv(EnvDBHost)
	switch {
	case host == "":
		return "", ""
	case !strings.Contains(host, "://"):
		return "mongodb://" + host, EnvDBHost
	}
	return host, EnvDBHost
}

// fleetSource says where the fleet comes from, for the log.
func (c Config) fleetSource() string {
	if c.VesselsFile == "" {
		return "built-in"
	}
	return c.VesselsFile
}
