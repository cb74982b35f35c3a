package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// serve is the vessel service: it seeds the fleet, logs JSON lines to
// stdout, and books room on the fleet until ctx is done. It returns nil on
// a clean stop.
func serve(ctx context.Context, cfg Config, service *store.Service[vessel.Repository]) error {
	vessels, err := vessel.NewService(service.Repo, uuid.NewString, time.Now)
	if err != nil {
		return err
	}
	stopSeeding, err := seedFleet(ctx, vessels, cfg, service.Logger)
	if err != nil {
		return err
	}
	defer stopSeeding()
	h, err := handler.New(vessels, service.Logger, cfg.Platform.Failpoint)
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

// run is the vessel service's command line (platform.Run): it serves
// (store.Serve), configured from getenv (loadConfig), or runs the
// subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	serveStore := store.Serve(vesselpb.ServiceName, backends(), telemetry.TraceRepository, serve)
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-vessel", envUsage(), loadConfig, serveStore)
}
