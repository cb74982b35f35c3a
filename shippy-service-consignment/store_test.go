package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/testenv/mongotest"
)

// TestRunRejectsBadMongoURI checks that run stops before it starts anything
// when the connection string cannot be parsed, naming the variable and
// never the password.
func TestRunRejectsBadMongoURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{
			name:    "scheme",
			vars:    map[string]string{platform.EnvMongoURI: "http://user:secret@db.example"},
			wantErr: `config: MONGO_URI: error parsing uri: scheme must be "mongodb" or "mongodb+srv"`,
		},
		{
			name:    "port",
			vars:    map[string]string{platform.EnvDBHost: "user:secret@datastore:port"},
			wantErr: `config: DB_HOST: error parsing uri: invalid host "": port must be an integer: strconv.Atoi: parsing "port": invalid syntax`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), nil, env(tt.vars), &stdout, &stderr)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("run() = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("run() error %q shows the password", err)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("run wrote %q to stdout and %q to stderr, want nothing", stdout.String(), stderr.String())
			}
		})
	}
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
	cfg := Config{Storage: platform.StorageConfig{MongoURI: srv.URI(), MongoURIFrom: platform.EnvMongoURI, DataDir: filepath.Join(t.TempDir(), "unused")}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	want := consignment.Consignment{
		ID: "c-1", Weight: 100, VesselID: "vessel001", Status: consignment.StatusBooked,
		Containers: []consignment.Container{{CustomerID: "cust001", Origin: "Manchester"}},
		CreatedAt:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}

	store, err := openStore(cfg, logger)
	if err != nil {
		t.Fatalf("openStore with MongoDB down: %v", err)
	}
	if err := store.repo.Create(t.Context(), want); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Create with MongoDB down: error %v, want ErrUnavailable", err)
	}
	if err := store.ping(t.Context()); err == nil {
		t.Error("ping with MongoDB down = nil, want an error (health NOT_SERVING)")
	}
	srv.Restart(t)
	if err := store.repo.Create(t.Context(), want); err != nil {
		t.Fatalf("Create once MongoDB is up: %v", err)
	}
	if err := store.ping(t.Context()); err != nil {
		t.Errorf("ping once MongoDB is up: %v", err)
	}
	if err := store.close(t.Context()); err != nil {
		t.Errorf("close: %v", err)
	}

	again, err := openStore(cfg, logger)
	if err != nil {
		t.Fatalf("openStore again: %v", err)
	}
	defer again.close(context.Background())
	items, _, err := again.repo.List(t.Context(), 0, "")
	if err != nil || len(items) != 1 || items[0].ID != want.ID {
		t.Errorf("List through a new store = %+v, %v; want %s", items, err, want.ID)
	}
	if _, err := os.Stat(cfg.Storage.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DATA_DIR with MongoDB: Stat(%s) = %v, want it not created", cfg.Storage.DataDir, err)
	}
}
