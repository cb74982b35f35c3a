package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-vessel/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// run is the vessel service's command line (platform.Run): it serves,
// configured from getenv (loadConfig), or runs the subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-vessel", envUsage(), loadConfig, serve)
}

// serve is the vessel service: it seeds the fleet, logs JSON lines to
// stdout, and books room on the fleet until ctx is done. It returns nil on
// a clean stop.
func serve(ctx context.Context, cfg Config, stdout io.Writer) (err error) {
	service, err := store.NewService(ctx, vesselpb.ServiceName, cfg.ServiceConfig, backends(), telemetry.TraceRepository, stdout)
	if err != nil {
		return err
	}
	defer service.CloseStore(&err) // after Run has drained the calls in flight, and seeding has stopped
	logger := service.Logger
	vessels, err := vessel.NewService(service.Repo, uuid.NewString)
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
		logger.Warn("store unavailable: serving, and seeding the fleet once the store answers", "error", err)
		seeding.Go(func() { seedWhenAvailable(seedCtx, vessels, cfg, logger) })
	default:
		return fmt.Errorf("seed fleet: %w", err)
	}
	h, err := handler.New(vessels, logger)
	if err != nil {
		return err
	}
	// Scrapes read the store itself: they make no spans.
	if err := service.Metrics().Register(telemetry.NewFleetCollector(service.Store.Repo)); err != nil {
		return fmt.Errorf("register fleet metrics: %w", err)
	}
	bookings, err := telemetry.NewBookings(service.Metrics())
	if err != nil {
		return err
	}
	if err := vesselpb.RegisterVesselServiceHandler(service.Server(), bookings.Handler(h)); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	return service.Run()
}

// backends opens the vessel store in a bbolt file or over a MongoDB
// database (store.Open).
func backends() store.Backends[vessel.Repository] {
	return store.Backends[vessel.Repository]{
		Holds: holds, File: "vessel.db",
		OpenBolt: func(path string) (vessel.Repository, error) { return bolt.Open(path) },
		NewMongo: func(db *mongo.Database) (vessel.Repository, error) { return mongostore.New(db) },
	}
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
			logger.Debug("store still unavailable; seeding later", "error", err)
		default:
			logger.Error("seed fleet", "error", err)
			return
		}
	}
}
