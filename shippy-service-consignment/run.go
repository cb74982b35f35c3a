package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/mongodb"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-consignment/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// Environment variables of the consignment service, besides the platform's.
const (
	// EnvVesselTimeout bounds each call to the vessel service, retries
	// included, as a Go duration ("5s").
	EnvVesselTimeout = "VESSEL_TIMEOUT"
)

// dbFile is the embedded database's file name inside the data directory.
const dbFile = "consignment.db"

// mongoSelectTimeout is how long a MongoDB call waits for a server to send
// it to: while MongoDB is down, calls fail (503) after that long.
const mongoSelectTimeout = 5 * time.Second

// storeCloseTimeout bounds closing the store after the service has stopped:
// a MongoDB that went away at the same time must not hold the exit up past a
// container runtime's 10 s stop grace period.
const storeCloseTimeout = 2 * time.Second

// recoverInterval is how often the service settles creates that stopped
// half-way (consignment.Service.Recover), besides once at start.
const recoverInterval = 30 * time.Second

// Config is the consignment service's configuration.
type Config struct {
	Platform platform.Config
	// Storage says where consignments are kept.
	Storage platform.StorageConfig
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
	storage, err := platform.LoadStorageConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Platform:      pcfg,
		Storage:       storage,
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
	return c.Storage.Validate()
}

// run is the consignment service: it reads its configuration from getenv,
// logs JSON lines to stdout, and serves until ctx is done. It returns nil on
// a clean stop. It takes no arguments.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, _ io.Writer) (err error) {
	// "healthcheck" asks this service's own gRPC health endpoint and exits 0
	// only when it is SERVING: the health check of a container with no shell.
	if len(args) == 1 && args[0] == "healthcheck" {
		return platform.Healthcheck(ctx, getenv, stdout)
	}
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q: the service is configured from the environment", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := platform.NewLogger(stdout, cfg.Platform.LogLevel)

	store, err := openStore(cfg, logger)
	if err != nil {
		return err
	}
	// Closed after Run has drained the calls in flight.
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), storeCloseTimeout)
		defer cancel()
		if cerr := store.close(ctx); cerr != nil && err == nil {
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
	if store.ping != nil {
		svc.CheckHealth(store.ping) // NOT_SERVING while the database does not answer
	}
	repo := store.repo
	if svc.TracingEnabled() {
		repo = telemetry.TraceRepository(repo, svc.TracerProvider(), storeSystem(cfg))
	}
	consignments, err := consignment.NewService(repo, booker, uuid.NewString, time.Now, logger)
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

// storeSystem names the database cfg selects, for the store's spans.
func storeSystem(cfg Config) string {
	if cfg.Storage.MongoURI != "" {
		return "mongodb"
	}
	return "bbolt"
}

// openStore opens the store cfg asks for: MongoDB when MongoURI is set,
// otherwise the embedded bbolt file in DataDir, created when missing.
// Its close releases it; call it once no call uses the store.
//
// The MongoDB client does not wait for the server: the service starts while
// MongoDB is down, answers 503 until it is up (the store creates its
// indexes then), and the driver reconnects by itself after an outage.
func openStore(cfg Config, logger *slog.Logger) (openedStore, error) {
	if cfg.Storage.MongoURI != "" {
		client, err := mongodb.Connect(cfg.Storage.MongoURI, mongoSelectTimeout)
		if err != nil {
			return openedStore{}, fmt.Errorf("%s: %w", cfg.Storage.MongoURIFrom, err)
		}
		store, err := mongostore.New(client.Database(platform.MongoDatabase))
		if err != nil {
			return openedStore{}, errors.Join(err, client.Disconnect(context.Background()))
		}
		logger.Info("consignments are kept in MongoDB", "uri_from", cfg.Storage.MongoURIFrom, "database", platform.MongoDatabase)
		ping := func(ctx context.Context) error { return client.Ping(ctx, nil) }
		return openedStore{repo: store, ping: ping, close: client.Disconnect}, nil
	}
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o755); err != nil {
		return openedStore{}, fmt.Errorf("%s: %w", platform.EnvDataDir, err)
	}
	db, err := bolt.Open(filepath.Join(cfg.Storage.DataDir, dbFile))
	if err != nil {
		return openedStore{}, fmt.Errorf("open store: %w", err)
	}
	logger.Info("consignments are kept in the embedded database", "data_dir", cfg.Storage.DataDir)
	return openedStore{repo: db, close: func(context.Context) error { return db.Close() }}, nil
}

// openedStore is the store cfg selects, with what the service does with it
// besides calls: ask whether it answers, and close it.
type openedStore struct {
	repo consignment.Repository
	// ping asks the database whether it answers; nil for the embedded
	// database, a file of this process that cannot be unreachable.
	ping  func(context.Context) error
	close func(context.Context) error
}
