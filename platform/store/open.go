package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.mongodb.org/mongo-driver/mongo"

	"github.com/shippy-suite/shippy/platform/mongodb"
)

// MongoSelectTimeout is how long a MongoDB call waits for a server to send
// it to: while MongoDB is down, calls fail (503) after that long.
const MongoSelectTimeout = 5 * time.Second

// CloseTimeout bounds Store.Close: a MongoDB that went away at the same
// time must not hold a stopping service up past a container runtime's 10 s
// stop grace period.
const CloseTimeout = 2 * time.Second

// The names of the backends, as the db.system.name of store spans.
const (
	SystemBolt    = "bbolt"
	SystemMongoDB = "mongodb"
)

// Backends says how a service makes its repository, of type R, on each
// backend Open may choose.
type Backends[R any] struct {
	// Holds says what the store keeps, for the log line Open writes:
	// "consignments", "vessels and bookings".
	Holds string
	// File is the name of the bbolt file in the data directory.
	File string
	// OpenBolt opens the repository in the bbolt file at path, creating it
	// when missing, and returns it with what closes the file (often the
	// repository itself). Its error names the path.
	OpenBolt func(path string) (R, io.Closer, error)
	// NewMongo returns the repository over db without reaching the server.
	NewMongo func(db *mongo.Database) (R, error)
}

// Store is a repository Open made, with what a service does with it
// besides calls.
type Store[R any] struct {
	Repo R
	// System names the backend: SystemBolt or SystemMongoDB.
	System string
	// Ping asks the database whether it answers, for the service's health;
	// nil for bbolt, a file of this process that cannot be unreachable.
	Ping  func(context.Context) error
	close func(context.Context) error
}

// Close releases the store, giving up after CloseTimeout. Call it once,
// when no call uses the store any more.
func (s *Store[R]) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return s.close(ctx)
}

// Open opens the store cfg chooses, logging which: MongoDB (database
// MongoDatabase) when cfg.MongoURI is set, otherwise the bbolt file
// b.File in cfg.DataDir, which it creates when missing. Errors name the
// variable or the file at fault, never the connection string.
//
// Open does not wait for MongoDB: the service starts while MongoDB is down,
// its calls fail with the domain's ErrUnavailable (503) and Ping fails
// until it is up, and the driver reconnects by itself after an outage.
func Open[R any](cfg Config, b Backends[R], logger *slog.Logger) (*Store[R], error) {
	if cfg.MongoURI != "" {
		client, err := mongodb.Connect(cfg.MongoURI, MongoSelectTimeout)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.MongoURIFrom, err)
		}
		repo, err := b.NewMongo(client.Database(MongoDatabase))
		if err != nil {
			return nil, errors.Join(err, client.Disconnect(context.Background()))
		}
		logger.Info(b.Holds+" are kept in MongoDB", "uri_from", cfg.MongoURIFrom, "database", MongoDatabase)
		ping := func(ctx context.Context) error { return client.Ping(ctx, nil) }
		return &Store[R]{Repo: repo, System: SystemMongoDB, Ping: ping, close: client.Disconnect}, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDataDir, err)
	}
	repo, file, err := b.OpenBolt(filepath.Join(cfg.DataDir, b.File))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	logger.Info(b.Holds+" are kept in the embedded database", "data_dir", cfg.DataDir)
	return &Store[R]{Repo: repo, System: SystemBolt, close: func(context.Context) error { return file.Close() }}, nil
}
