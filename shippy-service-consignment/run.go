package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-consignment/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// holds says what the service's store keeps, for its log and usage.
const holds = "consignments"

// recoverInterval is how often the service settles creates that stopped
// half-way (consignment.Service.Recover), besides once at start.
const recoverInterval = 30 * time.Second

// run is the consignment service's command line (platform.Run): it serves,
// configured from getenv (loadConfig), or runs the subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-consignment", envUsage(), loadConfig, serve)
}

// serve is the consignment service: it logs JSON lines to stdout, and
// books and keeps consignments until ctx is done, settling the creates that
// stopped half-way. It returns nil on a clean stop.
func serve(ctx context.Context, cfg Config, stdout io.Writer) (err error) {
	service, err := store.NewService(ctx, consignmentpb.ServiceName, cfg.ServiceConfig, backends(), telemetry.TraceRepository, stdout)
	if err != nil {
		return err
	}
	// Last, once Run has drained the calls in flight and recovery has
	// stopped (defers run last first).
	defer service.CloseStore(&err)
	logger := service.Logger

	booker, err := vesselclient.New(vesselpb.NewVesselService(vesselpb.ServiceName, service.Client()), cfg.VesselTimeout)
	if err != nil {
		return err
	}
	consignments, err := consignment.NewService(service.Repo, booker, uuid.NewString, time.Now, logger)
	if err != nil {
		return err
	}
	recoverCtx, stopRecovery := context.WithCancel(ctx)
	var recovery sync.WaitGroup
	recovery.Go(func() { recoverPeriodically(recoverCtx, consignments, recoverInterval, logger) })
	defer recovery.Wait()
	defer stopRecovery()
	h, err := handler.New(consignments, logger)
	if err != nil {
		return err
	}
	if err := consignmentpb.RegisterShippingServiceHandler(service.Server(), h); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	return service.Run()
}

// backends makes the consignment repository on the backend the
// configuration chooses (store.Open).
func backends() store.Backends[consignment.Repository] {
	return store.Backends[consignment.Repository]{
		Holds: holds, File: "consignment.db",
		OpenBolt: func(path string) (consignment.Repository, error) { return bolt.Open(path) },
		NewMongo: func(db *mongo.Database) (consignment.Repository, error) { return mongostore.New(db) },
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
