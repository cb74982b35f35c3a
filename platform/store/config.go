// Package store is the storage plumbing every service shares: where a
// service keeps its data (Config, from DATA_DIR, MONGO_URI or DB_HOST),
// opening that backend (Open), page tokens, and the spans of store calls.
// A service writes its records and queries (a bbolt and a MongoDB
// repository) and hands their constructors to Open.
package store

import (
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/x/mongo/driver/connstring"

	"github.com/shippy-suite/shippy/platform"
)

// Environment variables that choose where a service keeps its data.
const (
	// EnvDataDir is the directory of the embedded database; a service
	// creates it at start when missing.
	EnvDataDir = "DATA_DIR"
	// EnvMongoURI is a MongoDB connection string ("mongodb://host:27017");
	// set, the data is kept there instead of the embedded database.
	EnvMongoURI = "MONGO_URI"
	// EnvDBHost is the tutorial's name for EnvMongoURI, read when
	// MONGO_URI is unset: a connection string, or a bare host[:port].
	EnvDBHost = "DB_HOST"
)

// DefaultDataDir is the embedded database's directory when DATA_DIR is
// unset, relative to the working directory.
const DefaultDataDir = "data"

// MongoDatabase is the MongoDB database of the suite.
const MongoDatabase = "shippy"

// Config says where a service keeps its data: in MongoDB when
// MongoURI is set, else in the embedded database under DataDir.
type Config struct {
	// DataDir is the embedded database's directory, unused with MongoDB.
	DataDir string
	// MongoURI is the MongoDB connection string, from MONGO_URI or DB_HOST,
	// or "" for the embedded database. It may hold a password: it is never
	// logged or put in an error.
	MongoURI string
	// MongoURIFrom names the variable MongoURI comes from.
	MongoURIFrom string
}

// LoadConfig reads Config from getenv: MONGO_URI, else
// DB_HOST (a value without a scheme is a host[:port]), and DATA_DIR
// (default DefaultDataDir). Errors name the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{DataDir: getenv(EnvDataDir)}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if uri := getenv(EnvMongoURI); uri != "" {
		c.MongoURI, c.MongoURIFrom = uri, EnvMongoURI
	} else if host := getenv(EnvDBHost); host != "" {
		c.MongoURI, c.MongoURIFrom = host, EnvDBHost
		if !strings.Contains(host, "://") {
			c.MongoURI = "mongodb://" + host
		}
	}
	return c, c.Validate()
}

// Validate reports a connection string that cannot be parsed, naming its
// variable and never its password.
func (c Config) Validate() error {
	if c.MongoURI == "" {
		return nil
	}
	// The parser's errors do not repeat the password. A mongodb+srv string
	// is looked up in DNS here, as the driver would at connect.
	if _, err := connstring.ParseAndValidate(c.MongoURI); err != nil {
		return fmt.Errorf("%s: %w", c.MongoURIFrom, err)
	}
	return nil
}

// EnvUsage is the help of the variables LoadConfig reads, for a service's
// usage message (platform.WriteUsage); holds says what the service keeps
// ("vessels and bookings").
func EnvUsage(holds string) []platform.EnvVar {
	return []platform.EnvVar{
		{Name: EnvDataDir, Help: "directory of the embedded database (default " + DefaultDataDir + ")"},
		{Name: EnvMongoURI, Help: "MongoDB connection string: keep " + holds + " there (database " + MongoDatabase + ")"},
		{Name: EnvDBHost, Help: "the same, read when " + EnvMongoURI + " is unset; host[:port] is enough"},
	}
}
