package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/shippy-suite/shippy/platform"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/handler"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// writeUsage says how the service is configured; run writes it to stderr
// when it is given arguments.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, "usage: shippy-service-vessel\n\n"+
		"The vessel service takes no arguments; it is configured from the environment:\n")
	for _, v := range []struct{ name, help string }{
		{EnvVesselsFile, "JSON fleet seeded at start (default: the built-in fleet)"},
		{EnvDataDir, "directory of the embedded database (default " + DefaultDataDir + ")"},
		{EnvMongoURI, "MongoDB storage (reserved)"},
		{platform.EnvRegistry, "mdns (default) or consul"},
		{platform.EnvRegistryAddress, "registry addresses, comma-separated"},
		{platform.EnvServerAddress, "listen address (default :0, any free port)"},
		{platform.EnvShutdownTimeout, "how long a stop waits for calls in flight (default 15s)"},
		{platform.EnvLogLevel, "debug, info (default), warn or error"},
	} {
		fmt.Fprintf(w, "  %-24s%s\n", v.name, v.help)
	}
}

// run is the vessel service: it reads its configuration from getenv, seeds
// the fleet, logs JSON lines to stdout, and serves until ctx is done. It
// returns nil on a clean stop. Bad arguments or configuration stop it before
// anything is started.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) > 0 {
		writeUsage(stderr)
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	logger := platform.NewLogger(stdout, cfg.Platform.LogLevel)
	if cfg.MongoURI != "" {
		logger.Warn("MONGO_URI is not used yet; vessels and bookings are kept in the embedded database",
			"data_dir", cfg.DataDir)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", EnvDataDir, err)
	}
	store, err := bolt.Open(filepath.Join(cfg.DataDir, dbFile))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	// Closed after Run has drained the calls in flight.
	defer func() {
		if cerr := store.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()

	vessels, err := vessel.NewService(store, uuid.NewString)
	if err != nil {
		return err
	}
	if err := vessels.Seed(ctx, cfg.Fleet); err != nil {
		return fmt.Errorf("seed fleet: %w", err)
	}
	logger.Info("fleet seeded", "vessels", len(cfg.Fleet), "source", cfg.fleetSource())
	h, err := handler.New(vessels, logger)
	if err != nil {
		return err
	}

	svc, err := platform.NewService(ctx, vesselpb.ServiceName, cfg.Platform, logger)
	if err != nil {
		return err
	}
	if err := vesselpb.RegisterVesselServiceHandler(svc.Server(), h); err != nil {
		return fmt.Errorf("register handler: %w", err)
	}
	if err := svc.Run(); err != nil {
		return fmt.Errorf("run service: %w", err)
	}
	return nil
}
