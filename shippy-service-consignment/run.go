package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/server"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/announce"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/handler"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// confirmFlushTimeout bounds the sending of the last confirmations at
// shutdown; recovery confirms whatever is left after a restart.
const confirmFlushTimeout = 2 * time.Second

// serviceTokenTTL is the life of the tokens the service calls the vessel
// service with; a token is signed anew after half of it.
const serviceTokenTTL = 10 * time.Minute

// serve is the consignment service: it logs JSON lines to stdout, and
// books and keeps consignments until ctx is done, settling the creates that
// stopped half-way. It returns nil on a clean stop.
func serve(ctx context.Context, cfg Config, service *store.Service[repository]) error {
	credentials, err := serviceCredentials(cfg, service)
	if err != nil {
		return err
	}
	vessels := vesselpb.NewVesselService(vesselpb.ServiceName, service.Client())
	booker, err := vesselclient.New(vessels, service.Repo.Holder, credentials, cfg.VesselTimeout, cfg.Platform.Failpoint)
	if err != nil {
		return err
	}
	relay, stopRelay, err := outbox.Start(ctx, outbox.Service{
		Name: consignmentpb.ServiceName, BrokerURL: cfg.EventsURL, Store: service.Store.Repo,
		Logger: service.Logger, Metrics: service.Metrics(),
	})
	if err != nil {
		return err
	}
	defer stopRelay()
	announcer, err := announce.New(uuid.NewString)
	if err != nil {
		return err
	}
	repo := notifying{repository: service.Repo, notify: relay.Notify}
	consignments, err := consignment.NewService(repo, booker, announcer, uuid.NewString, time.Now, service.Logger)
	if err != nil {
		return err
	}
	stopRecovery := startRecovery(ctx, consignments, service.Logger)
	defer stopRecovery()
	h, err := handler.New(consignments, service.Logger, cfg.Platform.Failpoint)
	if err != nil {
		return err
	}
	if err := verifyUsers(service); err != nil {
		return err
	}
	if err := consignmentpb.RegisterShippingServiceHandler(service.Server(), h); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	err = service.Run()
	// The creates have drained: send the confirmations still queued, while
	// the store is open.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmFlushTimeout)
	defer cancel()
	if cerr := consignments.Close(flushCtx); cerr != nil {
		service.Logger.Warn("confirmations not sent at shutdown; recovery confirms them after the restart", "error", cerr)
	}
	return err
}

// serviceCredentials loads (or makes) the key of the service's own
// tokens, publishes its public key with the service's registry entry, so
// that the vessel service can verify them, and returns the function that
// gives the token of each call to the vessel service.
func serviceCredentials(cfg Config, service *store.Service[repository]) (func() (string, error), error) {
	key, err := cfg.Key.Load(service.Logger)
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewSigner(key, consignmentpb.ServiceName, serviceTokenTTL, time.Now)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewServiceTokens(signer, consignmentpb.ServiceName, time.Now)
	if err != nil {
		return nil, err
	}
	published := map[string]string{auth.MetadataKey: auth.EncodePublicKeys([]auth.PublicKey{key.Public()})}
	if err := service.Server().Init(server.Metadata(published)); err != nil {
		return nil, fmt.Errorf("configure server: %w", err)
	}
	return func() (string, error) { return tokens.Token(vesselpb.ServiceName) }, nil
}

// verifyUsers makes the service refuse every call without a valid token
// of the user service, whose public keys it finds in the user service's
// registry entries (auth.NewRegistryVerifier): tokens are verified here, with no
// call to the user service.
func verifyUsers(service *store.Service[repository]) error {
	verifier, err := auth.NewRegistryVerifier(service.Registry(), userpb.ServiceName, userpb.TokenAudience)
	if err != nil {
		return err
	}
	if err := service.Server().Init(server.WrapHandler(verifier.Wrapper(nil))); err != nil {
		return fmt.Errorf("configure server: %w", err)
	}
	return nil
}

// run is the consignment service's command line (platform.Run): it serves
// (store.Serve), configured from getenv (loadConfig), or runs the
// subcommand args name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	serveStore := store.Serve(consignmentpb.ServiceName, backends(), traceRepository, serve)
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-consignment", envUsage(), loadConfig, serveStore)
}
