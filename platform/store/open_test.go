package store

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

	"go.mongodb.org/mongo-driver/mongo"
)

// repo is a repository of a test: it counts its Close calls, which fail
// with closeErr.
type repo struct {
	name     string
	closed   int
	closeErr error
}

func (r *repo) Close() error { r.closed++; return r.closeErr }

func TestOpenBolt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "dir")
	var logs bytes.Buffer
	file := &repo{name: "bolt"}
	var opened string
	st, err := Open(Config{DataDir: dir}, Backends[*repo]{
		Holds: "things",
		File:  "things.db",
		OpenBolt: func(path string) (*repo, io.Closer, error) {
			opened = path
			return file, file, nil
		},
		NewMongo: func(*mongo.Database) (*repo, error) { t.Error("NewMongo called without MONGO_URI"); return nil, nil },
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if want := filepath.Join(dir, "things.db"); opened != want {
		t.Errorf("OpenBolt(%q), want the file in DATA_DIR %q", opened, want)
	}
	if st.Repo != file || st.System != SystemBolt || st.Ping != nil {
		t.Errorf("Open = repo %v, system %q, ping set %v; want the repository, %q, no ping", st.Repo, st.System, st.Ping != nil, SystemBolt)
	}
	if !strings.Contains(logs.String(), "things are kept in the embedded database") {
		t.Errorf("log %q does not say where things are kept", logs.String())
	}
	if err := st.Close(); err != nil || file.closed != 1 {
		t.Errorf("Close = %v, file closed %d times; want nil, once", err, file.closed)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	errBackend := errors.New("backend refused")
	tests := []struct {
		name     string
		cfg      Config
		openBolt func(string) (io.Closer, io.Closer, error)
		newMongo func(*mongo.Database) (io.Closer, error)
		want     string // the whole error
	}{
		{
			name: "data directory cannot be made",
			cfg:  Config{DataDir: filepath.Join(notADir, "data")},
			want: "DATA_DIR: mkdir " + notADir + ": not a directory",
		},
		{
			name:     "bolt store does not open",
			cfg:      Config{DataDir: t.TempDir()},
			openBolt: func(string) (io.Closer, io.Closer, error) { return nil, nil, errBackend },
			want:     "open store: backend refused",
		},
		{
			name:     "mongo store not made",
			cfg:      Config{MongoURI: "mongodb://127.0.0.1:1", MongoURIFrom: EnvMongoURI},
			newMongo: func(*mongo.Database) (io.Closer, error) { return nil, errBackend },
			want:     "backend refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(tt.cfg, Backends[io.Closer]{File: "x.db", OpenBolt: tt.openBolt, NewMongo: tt.newMongo}, slog.New(slog.DiscardHandler))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Open = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestOpenMongo opens a store over a MongoDB that does not answer: Open
// does not wait for it, and Ping says it does not answer.
func TestOpenMongo(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var database string
	mongoRepo := &repo{name: "mongo"}
	dataDir := filepath.Join(t.TempDir(), "unused")
	st, err := Open(Config{MongoURI: "mongodb://127.0.0.1:1", MongoURIFrom: EnvDBHost, DataDir: dataDir}, Backends[*repo]{
		Holds: "things",
		OpenBolt: func(string) (*repo, io.Closer, error) {
			t.Error("OpenBolt called with MONGO_URI")
			return nil, nil, nil
		},
		NewMongo: func(db *mongo.Database) (*repo, error) { database = db.Name(); return mongoRepo, nil },
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if st.Repo != mongoRepo || st.System != SystemMongoDB || database != MongoDatabase {
		t.Errorf("Open = repo %v, system %q, database %q; want the repository, %q, %q", st.Repo, st.System, database, SystemMongoDB, MongoDatabase)
	}
	if !strings.Contains(logs.String(), "things are kept in MongoDB") || !strings.Contains(logs.String(), "uri_from="+EnvDBHost) {
		t.Errorf("log %q does not say where things are kept, and from which variable", logs.String())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := st.Ping(ctx); err == nil {
		t.Error("Ping of a server that does not answer = nil, want an error")
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DATA_DIR with MongoDB: Stat(%s) = %v, want it not created", dataDir, err)
	}
	if err := st.Close(); err != nil || mongoRepo.closed != 0 {
		t.Errorf("Close = %v, repository closed %d times; want nil, the client disconnected and the repository left alone", err, mongoRepo.closed)
	}
}
