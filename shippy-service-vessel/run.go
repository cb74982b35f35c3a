package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/store"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// serve is the vessel service: it seeds the fleet, logs JSON lines to
// stdout, and books room on the fleet until ctx is done, for callers with a
// valid token of the user service or of the consignment service (see
// verifiers; the handler checks their roles). It returns nil on a clean
// stop.
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
	issuers, err := verifiers(service.Registry())
	if err != nil {
		return err
	}
	// Every go-micro call needs a token; health, reflection and metrics are
	// served outside go-micro's handlers, and stay open.
	if err := service.Server().Init(server.WrapHandler(issuers.Wrapper(nil))); err != nil {
		return fmt.Errorf("configure server: %w", err)
	}
	if err := vesselpb.RegisterVesselServiceHandler(service.Server(), bookings.Handler(h)); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	return service.Run()
}

// verifiers are the token verifiers of the vessel service's callers, by
// issuer: users, with the user service's tokens, and the consignment
// service, with its own tokens for the vessel service. Each issuer's public
// keys are those its instances publish in reg (auth.NewRegistryVerifier).
func verifiers(reg registry.Registry) (auth.Issuers, error) {
	issuers := make(auth.Issuers, 2)
	for _, iss := range []struct{ issuer, audience string }{
		{userpb.ServiceName, userpb.TokenAudience},
		{consignmentpb.ServiceName, vesselpb.ServiceName},
	} {
		v, err := auth.NewRegistryVerifier(reg, iss.issuer, iss.audience)
		if err != nil {
			return nil, err
		}
		issuers[iss.issuer] = v
	}
	return issuers, nil
}

// run is the vessel service's command line (platform.Run): it serves
// (store.Serve), configured from getenv (loadConfig), or runs the
// subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	serveStore := store.Serve(vesselpb.ServiceName, backends(), telemetry.TraceRepository, serve)
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-vessel", envUsage(), loadConfig, serveStore)
}
