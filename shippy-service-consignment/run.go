package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// Environment variables of the consignment service, besides the platform's.
const (
	// EnvDataDir is the directory for on-disk storage (reserved: consignments
	// are kept in memory for now).
	EnvDataDir = "DATA_DIR"
	// EnvMongoURI is the MongoDB connection string (reserved).
	EnvMongoURI = "MONGO_URI"
	// EnvVesselTimeout bounds each call to the vessel service, retries
	// included, as a Go duration ("5s").
	EnvVesselTimeout = "VESSEL_TIMEOUT"
)

// Config is the consignment service's configuration.
type Config struct {
	Platform platform.Config
	// DataDir and MongoURI are read but not used yet: the store is in
	// memory. They are logged at start so that an operator who set them
	// is not surprised.
	DataDir  string
	MongoURI string
	// VesselTimeout bounds each Book or Release call to the vessel service.
	VesselTimeout time.Duration
}

// loadConfig reads Config from getenv, fills in defaults and validates it.
// Errors name the variable at fault.
func loadConfig(getenv func(string) string) (Config, error) {
	pcfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Platform:      pcfg,
		DataDir:       getenv(EnvDataDir),
		MongoURI:      getenv(EnvMongoURI),
		VesselTimeout: vesselclient.DefaultTimeout,
	}
	if v := getenv(EnvVesselTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a duration (for example 5s)", EnvVesselTimeout, v)
		}
		cfg.VesselTimeout = d
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
	return nil
}

// run is the consignment service: it reads its configuration from getenv,
// logs JSON lines to stdout, and serves until ctx is done. It returns nil on
// a clean stop. It takes no arguments.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: the service is configured from the environment", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := platform.NewLogger(stdout, cfg.Platform.LogLevel)
	if cfg.DataDir != "" || cfg.MongoURI != "" {
		logger.Warn("storage settings are not used yet; consignments are kept in memory and lost on exit",
			"data_dir_set", cfg.DataDir != "", "mongo_uri_set", cfg.MongoURI != "")
	}

	svc, err := platform.NewService(ctx, consignmentpb.ServiceName, cfg.Platform, logger)
	if err != nil {
		return err
	}
	booker, err := vesselclient.New(vesselpb.NewVesselService(vesselpb.ServiceName, svc.Client()), cfg.VesselTimeout)
	if err != nil {
		return err
	}
	consignments, err := consignment.NewService(memory.New(), booker, uuid.NewString, logger)
	if err != nil {
		return err
	}
	h, err := handler.New(consignments, logger)
	if err != nil {
		return err
	}
	if err := consignmentpb.RegisterShippingServiceHandler(svc.Server(), h); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	if err := svc.Run(); err != nil {
		return fmt.Errorf("run service: %w", err)
	}
	return nil
}
