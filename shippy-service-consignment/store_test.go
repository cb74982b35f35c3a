package main

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/storetest"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// TestContract runs the contract suite on every backend the service
// opens, and in memory.
func TestContract(t *testing.T) {
	t.Parallel()
	storetesting.RunContract(t, storetest.Run, backends(), func() repository { return memory.New() })
}

// TestOpenStoreMongo opens the store a MongoDB connection string asks for,
// first while MongoDB is down: calls fail with ErrUnavailable, and succeed
// once it is up, through the same store. A second store over the database
// sees what the first stored, and the embedded database's directory is
// left alone.
func TestOpenStoreMongo(t *testing.T) {
	t.Parallel()
	srv := mongotest.StartFerretDB(t)
	srv.Stop(t)
	storage := storetesting.MongoConfig(t, srv.URI())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	want := consignment.Consignment{
		ID: "c-1", Weight: 100, VesselID: "vessel001", Status: consignment.StatusBooked,
		Containers: []consignment.Container{{CustomerID: "cust001", Origin: "Manchester"}},
		CreatedAt:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}

	st, err := store.Open(storage, backends(), logger)
	if err != nil {
		t.Fatalf("openStore with MongoDB down: %v", err)
	}
	if err := st.Repo.Create(t.Context(), want); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Create with MongoDB down: error %v, want ErrUnavailable", err)
	}
	if err := st.Ping(t.Context()); err == nil {
		t.Error("ping with MongoDB down = nil, want an error (health NOT_SERVING)")
	}
	srv.Restart(t)
	if err := st.Repo.Create(t.Context(), want); err != nil {
		t.Fatalf("Create once MongoDB is up: %v", err)
	}
	if err := st.Ping(t.Context()); err != nil {
		t.Errorf("ping once MongoDB is up: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("close: %v", err)
	}

	again, err := store.Open(storage, backends(), logger)
	if err != nil {
		t.Fatalf("openStore again: %v", err)
	}
	defer again.Close()
	items, _, err := again.Repo.List(t.Context(), "", 0, "")
	if err != nil || len(items) != 1 || items[0].ID != want.ID {
		t.Errorf("List through a new store = %+v, %v; want %s", items, err, want.ID)
	}
	storetesting.AssertNotCreated(t, storage.DataDir, "DATA_DIR with MongoDB")
}
