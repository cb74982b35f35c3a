package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// seedFleet seeds cfg.Fleet. While the store is unavailable (MongoDB
// down) it logs so and seeds in the background (seedWhenAvailable), so
// that the service serves meanwhile, until stop, which waits for it: call
// it before the store closes. Any other failure is an error.
func seedFleet(ctx context.Context, vessels *vessel.Service, cfg Config, logger *slog.Logger) (stop func(), err error) {
	seedCtx, cancel := context.WithCancel(ctx)
	var seeding sync.WaitGroup
	stop = func() {
		cancel()
		seeding.Wait()
	}
	switch err := vessels.Seed(ctx, cfg.Fleet); {
	case err == nil:
		logger.Info("fleet seeded", "vessels", len(cfg.Fleet), "source", cfg.fleetSource())
	case errors.Is(err, vessel.ErrUnavailable):
		logger.Warn("store unavailable: serving, and seeding the fleet once the store answers", "error", err)
		seeding.Go(func() { seedWhenAvailable(seedCtx, vessels, cfg, logger) })
	default:
		stop()
		return nil, fmt.Errorf("seed fleet: %w", err)
	}
	return stop, nil
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
