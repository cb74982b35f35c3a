package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// Environment variables of the consignment service, besides the platform's
// and the store's.
const (
	// EnvVesselTimeout bounds each call to the vessel service, retries
	// included, as a Go duration ("5s").
	EnvVesselTimeout = "VESSEL_TIMEOUT"
)

// holds says what the service's store keeps, for its log and usage.
const holds = "consignments"

// Config is the consignment service's configuration.
type Config struct {
	// ServiceConfig has the platform's settings, and where consignments
	// are kept.
	store.ServiceConfig
	// VesselTimeout bounds each call to the vessel service, retries
	// included.
	VesselTimeout time.Duration
	// Key is where the key of the service's own tokens, with which it
	// calls the vessel service, is kept.
	Key auth.KeyFile
	// EventsURL is the URL of the broker the service publishes its events
	// on (events.EnvURL); empty: none, and the events wait in the store.
	EventsURL string
}

// envUsage is the help of the variables the service reads besides the
// platform's, for its usage message.
func envUsage() []platform.EnvVar {
	timeout := platform.EnvVar{Name: EnvVesselTimeout, Help: "bound of each call to the vessel service (default " + vesselclient.DefaultTimeout.String() + ")"}
	key := platform.EnvVar{Name: auth.EnvPrivateKeyFile, Help: "PEM file of the Ed25519 key of the service's own tokens (default: " + auth.DefaultKeyFile + " in DATA_DIR, made on first start)"}
	broker := platform.EnvVar{Name: events.EnvURL, Help: "NATS (JetStream) URL the booking events are published on (default: none; the events wait in the store until it is set)"}
	return append([]platform.EnvVar{timeout, key, broker}, store.EnvUsage(holds)...)
}

// loadConfig reads Config from getenv, fills in defaults (the vessel
// timeout: vesselclient.DefaultTimeout) and validates it. Errors name the
// variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	base, err := store.LoadServiceConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		ServiceConfig: base, VesselTimeout: vesselclient.DefaultTimeout,
		Key:       auth.KeyFileFromEnv(getenv, base.Storage.DataDir),
		EventsURL: strings.TrimSpace(getenv(events.EnvURL)),
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
	if c.VesselTimeout <= 0 {
		return fmt.Errorf("%s: must be positive, got %s", EnvVesselTimeout, c.VesselTimeout)
	}
	return c.ServiceConfig.Validate()
}
