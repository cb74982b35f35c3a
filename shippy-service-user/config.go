package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
)

// Environment variables of the user service, besides the platform's and
// the store's.
const (
	// EnvTokenTTL is how long a token is valid, as a Go duration ("1h").
	EnvTokenTTL = "TOKEN_TTL"
)

// Defaults of the settings above.
const (
	// DefaultTokenTTL is short: there is no revocation, so a token stolen
	// or of a removed account is good until it expires.
	DefaultTokenTTL = time.Hour
	// maxTokenTTL bounds TOKEN_TTL: tokens are not a substitute for
	// sessions that can be revoked.
	maxTokenTTL = 24 * time.Hour
)

// holds says what the service's store keeps, for its log and usage.
const holds = "users"

// Config is the user service's configuration.
type Config struct {
	// ServiceConfig has the platform's settings, and where users are kept.
	store.ServiceConfig
	// Key is where the key that signs tokens is kept.
	Key auth.KeyFile
	// TokenTTL is how long a token is valid.
	TokenTTL time.Duration
	// EventsURL is the URL of the broker the service publishes its events
	// on (events.EnvURL); empty: none, and the events wait in the store.
	EventsURL string
}

// envUsage is the help of the variables the service reads besides the
// platform's, for its usage message.
func envUsage() []platform.EnvVar {
	return append([]platform.EnvVar{
		{Name: auth.EnvPrivateKeyFile, Help: "PEM file of the Ed25519 key that signs tokens (default: " + auth.DefaultKeyFile + " in DATA_DIR, made on first start)"},
		{Name: EnvTokenTTL, Help: "how long a token is valid (default " + DefaultTokenTTL.String() + ", at most " + maxTokenTTL.String() + ")"},
		{Name: events.EnvURL, Help: "NATS (JetStream) URL the user.created events are published on (default: none; the events wait in the store until it is set)"},
	}, store.EnvUsage(holds)...)
}

// loadConfig reads Config from getenv, fills in defaults and validates it.
// Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	base, err := store.LoadServiceConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		ServiceConfig: base,
		Key:           auth.KeyFileFromEnv(getenv, base.Storage.DataDir),
		TokenTTL:      DefaultTokenTTL,
		EventsURL:     strings.TrimSpace(getenv(events.EnvURL)),
	}
	if v := getenv(EnvTokenTTL); v != "" {
		if cfg.TokenTTL, err = time.ParseDuration(v); err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a duration (for example 1h)", EnvTokenTTL, v)
		}
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its variable.
func (c Config) Validate() error {
	if c.TokenTTL < time.Minute || c.TokenTTL > maxTokenTTL {
		return fmt.Errorf("%s: must be from 1m to %s, got %s", EnvTokenTTL, maxTokenTTL, c.TokenTTL)
	}
	return c.ServiceConfig.Validate()
}
