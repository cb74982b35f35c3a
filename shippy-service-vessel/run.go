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
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-vessel/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// writeUsage says how the service is configured; run writes it to stderr
// when it is given arguments.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, "usage: shippy-service-vessel [healthcheck]\n\n"+
		"healthcheck asks the running service's gRPC health endpoint at MICRO_SERVER_ADDRESS\n"+
		"and exits 0 only when it is SERVING. Otherwise the service is configured from the environment:\n")
	for _, v := range []struct{ name, help string }{
		{EnvVesselsFile, "JSON fleet seeded at start (default: the built-in fleet)"},
		{platform.EnvDataDir, "directory of the embedded database (default " + platform.DefaultDataDir + ")"},
		{platform.EnvMongoURI, "MongoDB connection string: keep vessels and bookings there (database " + platform.MongoDatabase + ")"},
		{platform.EnvDBHost, "the same, read when " + platform.EnvMongoURI + " is unset; host[:port] is enough"},
		{platform.EnvRegistry, "mdns (default) or consul"},
		{platform.EnvRegistryAddress, "registry addresses, comma-separated"},
		{platform.EnvServerAddress, "listen address (default :0, any free port)"},
		{platform.EnvShutdownTimeout, "how long a stop waits for calls in flight (default 15s)"},
		{platform.EnvLogLevel, "debug, info (default), warn or error"},
		{platform.EnvMetricsAddress, "host:port to serve Prometheus metrics on at " + platform.MetricsPath + " (default: none)"},
		{platform.EnvOTLPEndpoint, "OTLP/gRPC collector URL (http://host:4317): export traces (default: off)"},
	} {
		fmt.Fprintf(w, "  %-24s%s\n", v.name, v.help)
	}
}

// run is the vessel service: it reads its configuration from getenv, seeds
// the fleet, logs JSON lines to stdout, and serves until ctx is done. It
// returns nil on a clean stop. Bad arguments or configuration stop it before
// anything is started.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	// "healthcheck" asks this service's own gRPC health endpoint and exits 0
	// only when it is SERVING: the health check of a container with no shell.
	if len(args) == 1 && args[0] == "healthcheck" {
		return platform.Healthcheck(ctx, getenv, stdout)
	}
	if len(args) > 0 {
		writeUsage(stderr)
		return fmt.Errorf("unexpected argument %q", args[0])
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

	svc, err := platform.NewService(ctx, vesselpb.ServiceName, cfg.Platform, logger)
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
	vessels, err := vessel.NewService(repo, uuid.NewString)
	if err != nil {
		return err
	}
	// Seeding in the background ends before the store is closed.
	seedCtx, stopSeeding := context.WithCancel(ctx)
	var seeding sync.WaitGroup
	defer seeding.Wait()
	defer stopSeeding()
	switch err := vessels.Seed(ctx, cfg.Fleet); {
	case err == nil:
		logger.Info("fleet seeded", "vessels", len(cfg.Fleet), "source", cfg.fleetSource())
	case errors.Is(err, vessel.ErrUnavailable):
		logger.Warn("store unavailable: serving, and seeding the fleet once the store answers", "err", err)
		seeding.Go(func() { seedWhenAvailable(seedCtx, vessels, cfg, logger) })
	default:
		return fmt.Errorf("seed fleet: %w", err)
	}
	h, err := handler.New(vessels, logger)
	if err != nil {
		return err
	}
	// Scrapes read the store itself: they make no spans.
	if err := svc.Metrics().Register(telemetry.NewFleetCollector(store.repo)); err != nil {
		return fmt.Errorf("register fleet metrics: %w", err)
	}
	bookings, err := telemetry.NewBookings(svc.Metrics())
	if err != nil {
		return err
	}
	if err := vesselpb.RegisterVesselServiceHandler(svc.Server(), bookings.Handler(h)); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	if err := svc.Run(); err != nil {
		return fmt.Errorf("run service: %w", err)
	}
	return nil
}

// storeCloseTimeout bounds closing the store after the service has stopped:
// a MongoDB that went away at the same time must not hold the exit up past a
// container runtime's 10 s stop grace period.
const storeCloseTimeout = 2 * time.Second

// openStore opens the store cfg asks for: MongoDB when MongoURI is set,
// otherwise the embedded bbolt file in DataDir, created when missing.
// Its close releases it; call it once no call uses the store.
//
// The MongoDB client does not wait for the server: the service starts while
// MongoDB is down, answers 503 until it is up, and the driver reconnects by
// itself after an outage.
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
		logger.Info("vessels and bookings are kept in MongoDB", "uri_from", cfg.Storage.MongoURIFrom, "database", platform.MongoDatabase)
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
	logger.Info("vessels and bookings are kept in the embedded database", "data_dir", cfg.Storage.DataDir)
	return openedStore{repo: db, close: func(context.Context) error { return db.Close() }}, nil
}

// openedStore is the store cfg selects, with what the service does with it
// besides calls: ask whether it answers, and close it.
type openedStore struct {
	repo vessel.Repository
	// ping asks the database whether it answers; nil for the embedded
	// database, a file of this process that cannot be unreachable.
	ping  func(context.Context) error
	close func(context.Context) error
}

// storeSystem names the database cfg selects, for the store's spans.
func storeSystem(cfg Config) string {
	if cfg.Storage.MongoURI != "" {
		return "mongodb"
	}
	return "bbolt"
}

// maxSeedPause is the longest pause between two tries to seed the fleet:
// the longest a new database stays without its fleet once MongoDB is up.
const maxSeedPause = 10 * time.Second

// seedWhenAvailable seeds the fleet, trying again while the store is
// unavailable, with a pause that doubles up to maxSeedPause, until it is
// done or ctx is.
func seedWhenAvailable(ctx context.Context, vessels *vessel.Service, cfg Config, logger *slog.Logger) {
	for pause := time.Second; ; pause = min(2*pause, maxSeedPause) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		err := vessels.Seed(ctx, cfg.Fleet)
		switch {
		case err == nil:
			logger.Info("fleet seeded", "vessels", len(cfg.Fleet), "source", cfg.fleetSource())
			return
		case ctx.Err() != nil:
			return
		case errors.Is(err, vessel.ErrUnavailable):
			logger.Debug("store still unavailable; seeding later", "err", err)
		default:
			logger.Error("seed fleet", "err", err)
			return
		}
	}
}
