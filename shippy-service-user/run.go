package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/server"
	"golang.org/x/crypto/bcrypt"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	userpb "github.com/shippy-suite/shippy/proto/user"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
	"github.com/shippy-suite/shippy/shippy-service-user/handler"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// serve is the user service: it loads (or makes) its signing key, logs
// JSON lines to stdout, serves accounts and tokens until ctx is done, and
// publishes the user.created events its store's outbox holds on the
// broker of cfg.EventsURL (outbox.Start). It returns nil on a clean stop.
func serve(ctx context.Context, cfg Config, service *store.Service[repository]) error {
	key, err := cfg.Key.Load(service.Logger)
	if err != nil {
		return err
	}
	signer, err := auth.NewSigner(key, userpb.ServiceName, cfg.TokenTTL, time.Now)
	if err != nil {
		return err
	}
	public := []auth.PublicKey{key.Public()}
	keys, err := auth.NewKeySet(public...)
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(keys, userpb.ServiceName, userpb.TokenAudience, time.Now)
	if err != nil {
		return err
	}
	hasher, err := user.NewBcrypt(bcrypt.DefaultCost, user.BcryptLimits{})
	if err != nil {
		return err
	}
	relay, stopRelay, err := outbox.Start(ctx, outbox.Service{
		Name: userpb.ServiceName, BrokerURL: cfg.EventsURL, Store: service.Store.Repo,
		Logger: service.Logger, Metrics: service.Metrics(),
	})
	if err != nil {
		return err
	}
	// Deferred, so it runs after service.Run has drained the calls and
	// before store.Serve closes the store.
	defer stopRelay()
	announcer, err := announce.New(uuid.NewString)
	if err != nil {
		return err
	}
	repo := notifying{repository: service.Repo, notify: relay.Notify}
	users, err := user.NewService(repo, hasher, announcer, uuid.NewString, time.Now)
	if err != nil {
		return err
	}
	h, err := handler.New(users, signer, verifier, service.Logger)
	if err != nil {
		return err
	}
	// The public keys go into the registry with the service, so the other
	// services verify tokens without asking this one.
	err = service.Server().Init(
		server.WrapHandler(verifier.Wrapper(handler.Open)),
		server.Metadata(map[string]string{auth.MetadataKey: auth.EncodePublicKeys(public)}),
	)
	if err != nil {
		return fmt.Errorf("configure server: %w", err)
	}
	if err := userpb.RegisterUserServiceHandler(service.Server(), h); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	return service.Run()
}

// run is the user service's command line (platform.Run): it serves
// (store.Serve), configured from getenv (loadConfig), or runs the
// subcommand args name: make-operator EMAIL (makeOperator), or
// healthcheck.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == makeOperatorCmd {
		return makeOperator(ctx, args[1:], getenv, stdout)
	}
	serveStore := store.Serve(userpb.ServiceName, backends(), telemetryNone, serve)
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-user", envUsage(), loadConfig, serveStore)
}
