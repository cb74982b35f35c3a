package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// TestContract runs the contract suite on every backend the service
// opens, and in memory.
func TestContract(t *testing.T) {
	t.Parallel()
	storetesting.RunContract(t, storetest.Run, backends(), func() vessel.Repository { return memory.New() })
}

// TestOpenStoreMongo opens the store a MongoDB connection string asks for
// and checks that it keeps what it is given, that a new store over the same
// database sees it, and that the embedded database's directory is left
// alone.
func TestOpenStoreMongo(t *testing.T) {
	t.Parallel()
	srv := mongotest.StartFerretDB(t)
	storage := storetesting.MongoConfig(t, srv.URI())
	logger := platform.NewLogger(io.Discard, slog.LevelInfo)

	for range 2 {
		st, err := store.Open(storage, backends(), logger)
		if err != nil {
			t.Fatalf("openStore: %v", err)
		}
		if err := st.Ping(t.Context()); err != nil {
			t.Errorf("ping: %v", err)
		}
		svc, err := vessel.NewService(st.Repo, func() string { return "unused" }, time.Now)
		if err != nil {
			t.Fatalf("NewService: %v", err)
		}
		if err := svc.Seed(t.Context(), fleet.Default()); err != nil {
			t.Fatalf("Seed: %v", err)
		}
		got, err := svc.List(t.Context())
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if !slices.Equal(got, fleet.Default()) {
			t.Errorf("fleet = %+v, want the default %+v", got, fleet.Default())
		}
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	storetesting.AssertNotCreated(t, storage.DataDir, "DATA_DIR with MongoDB")
}

// TestSeedWhenAvailable starts the store while MongoDB is down, as the
// service does: calls fail with ErrUnavailable, and once MongoDB is up the
// fleet is seeded without a restart.
func TestSeedWhenAvailable(t *testing.T) {
	t.Parallel()
	srv := mongotest.StartFerretDB(t)
	srv.Stop(t)
	cfg := Config{ServiceConfig: store.ServiceConfig{Storage: store.Config{MongoURI: srv.URI(), MongoURIFrom: store.EnvMongoURI}}, Fleet: fleet.Default()}
	logger := platform.NewLogger(io.Discard, slog.LevelInfo)
	st, err := store.Open(cfg.Storage, backends(), logger)
	if err != nil {
		t.Fatalf("openStore with MongoDB down: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, err := vessel.NewService(st.Repo, func() string { return "unused" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	if _, err := svc.List(t.Context()); !errors.Is(err, vessel.ErrUnavailable) {
		t.Fatalf("List with MongoDB down: error %v, want ErrUnavailable", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		seedWhenAvailable(ctx, svc, cfg, logger)
	}()
	t.Cleanup(func() { cancel(); <-done })
	srv.Restart(t)

	deadline := time.Now().Add(maxSeedPause + 2*store.MongoSelectTimeout + 10*time.Second)
	for {
		got, err := svc.List(t.Context())
		if err == nil && slices.Equal(got, fleet.Default()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet once MongoDB is up = %+v, %v; want the default fleet", got, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("seedWhenAvailable did not return once the fleet was seeded")
	}
}
