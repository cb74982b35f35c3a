package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// recoverInterval is how often the service settles creates that stopped
// half-way (consignment.Service.Recover), besides once at start.
const recoverInterval = 30 * time.Second

// startRecovery settles the creates that stopped half-way in the
// background, now and every recoverInterval (recoverPeriodically), until
// stop, which waits for the round under way: call it before the store
// closes.
func startRecovery(ctx context.Context, consignments *consignment.Service, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var recovery sync.WaitGroup
	recovery.Go(func() { recoverPeriodically(ctx, consignments, recoverInterval, logger) })
	return func() {
		cancel()
		recovery.Wait()
	}
}

// recoverPeriodically calls consignments.Recover now and then every
// interval until ctx is done. A failed round is logged and retried at the
// next one: at start the vessel service may not be discoverable yet.
func recoverPeriodically(ctx context.Context, consignments *consignment.Service, interval time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		// Recover logs each consignment it settles.
		if _, err := consignments.Recover(ctx); err != nil && ctx.Err() == nil {
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
