package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// Environment variables of the consignment service, besides the platform's.
const (
	// EnvDataDir is the directory of the embedded database; it is created
	// at start when missing.
	EnvDataDir = "DATA_DIR"
	// EnvMongoURI is the MongoDB connection string (reserved).
	EnvMongoURI = "MONGO_URI"
	// EnvVesselTimeout bounds each call to the vessel service, retries
	// included, as a Go duration ("5s").
	EnvVesselTimeout = "VESSEL_TIMEOUT"
)

// DefaultDataDir is the embedded database's directory when DATA_DIR is
// unset, relative to the working directory.
const DefaultDataDir = "data"

// dbFile is the embedded database's file name inside the data directory.
const dbFile = "consignment.db"

// recoverInterval is how often the service settles creates that stopped
// half-way (consignment.Service.Recover), besides once at start.
const recoverInterval = 30 * time.Second

// Config is the consignment service's configuration.
type Config struct {
	Platform platform.Config
	// DataDir is the embedded database's directory.
	DataDir string
	// MongoURI is read but not used yet; it is logged at start so that an
	// operator who set it is not surprised.
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
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
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
func run(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) (err error) {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: the service is configured from the environment", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := platform.NewLogger(stdout, cfg.Platform.LogLevel)
	if cfg.MongoURI != "" {
		logger.Warn("MONGO_URI is not used yet; consignments are kept in the embedded database",
			"data_dir", cfg.DataDir)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", EnvDataDir, err)
	}
	store, err := bolt.Open(filepath.Join(cfg.DataDir, dbFile))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	// Closed after Run has drained the calls in flight.
	defer func() {
		if cerr := store.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()

	svc, err := platform.NewService(ctx, consignmentpb.ServiceName, cfg.Platform, logger)
	if err != nil {
		return err
	}
	booker, err := vesselclient.New(vesselpb.NewVesselService(vesselpb.ServiceName, svc.Client()), cfg.VesselTimeout)
	if err != nil {
		return err
	}
	consignments, err := consignment.NewService(store, booker, uuid.NewString, time.Now, logger)
	if err != nil {
		return err
	}
	// Recovery stops before the store closes (defers run last first).
	recoverCtx, stopRecovery := context.WithCancel(ctx)
	var recovery sync.WaitGroup
	recovery.Go(func() { recoverPeriodically(recoverCtx, consignments, recoverInterval, logger) })
	defer recovery.Wait()
	defer stopRecovery()
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

// recoverPeriodically calls svc.Recover now and then every interval until
// ctx is done. A failed round is logged and retried at the next one: at
// start the vessel service may not be discoverable yet.
func recoverPeriodically(ctx context.Context, svc *consignment.Service, interval time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		// Recover logs each consignment it settles.
		if _, err := svc.Recover(ctx); err != nil && ctx.Err() == nil {
			logger.WarnContext(ctx, "recovery of unfinished creates failed; retrying later",
				"retry_in", interval, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
