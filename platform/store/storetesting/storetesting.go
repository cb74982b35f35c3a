// Package storetesting helps the tests of stores and of the services'
// storage wiring, whatever the service: running a contract suite, checks
// that every method of a store fails alike, MongoDB servers and clients
// for the tests of Mongo stores (through testenv/mongotest), and a check
// that a service's run refuses a bad storage configuration. Each service's
// own store/storetest is the contract suite of its repository.
package storetesting

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/store"
)

// Test is a subtest of a repository's contract suite: Run, or Open for a
// test that needs several repositories (one a case).
type Test[R any] struct {
	Name string
	// Run tests repo, a new, empty repository of its own.
	Run func(t *testing.T, repo R)
	// Open tests the repositories it gets from open.
	Open func(t *testing.T, open func(*testing.T) R)
}

// Options adapt a contract suite to a backend.
type Options struct {
	// SkipConcurrency, when not empty, skips the subtests that race calls
	// against each other (those named Concurrent...), with this as the
	// reason. It is for a server known not to apply concurrent updates
	// atomically (FerretDB v1), never for a store that should pass them.
	SkipConcurrency string
}

// RunSuite runs tests as parallel subtests of t, each with a repository
// open returns, adapted by opts (at most one). open must return a new,
// empty repository on every call, independent of every other one, and
// release it in t.Cleanup.
func RunSuite[R any](t *testing.T, tests []Test[R], open func(*testing.T) R, opts ...Options) {
	t.Helper()
	var o Options
	for _, opt := range opts {
		o = opt
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			if o.SkipConcurrency != "" && strings.HasPrefix(tt.Name, "Concurrent") {
				t.Skip(o.SkipConcurrency)
			}
			t.Parallel()
			if tt.Open != nil {
				tt.Open(t, open)
				return
			}
			tt.Run(t, open(t))
		})
	}
}

// Calls are calls of a store's methods by name, each returning the call's
// error.
type Calls map[string]func() error

// AssertErrors checks that each of calls fails with an error that matches
// want, and, when within is positive, that it fails within that time.
// when says in what state the calls are made ("on a closed store"), for
// the messages.
func AssertErrors(t testing.TB, calls Calls, want error, when string, within time.Duration) {
	t.Helper()
	for name, call := range calls {
		start := time.Now()
		err := call()
		if !errors.Is(err, want) {
			t.Errorf("%s %s: error %v, want %v", name, when, err, want)
		}
		if d := time.Since(start); within > 0 && d > within {
			t.Errorf("%s %s took %v, want at most %v", name, when, d, within)
		}
	}
}

// Getenv returns a getenv that reads vars, for a service's loadConfig
// and run.
func Getenv(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

// RunRejectsBadMongoURI checks that run stops before it starts anything
// (it writes nothing) when the connection string in MONGO_URI or DB_HOST
// cannot be parsed, with an error that names the variable and never the
// password.
func RunRejectsBadMongoURI(t *testing.T, run platform.RunFunc) {
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{
			name:    "scheme",
			vars:    map[string]string{store.EnvMongoURI: "http://user:secret@db.example"},
			wantErr: `config: MONGO_URI: error parsing uri: scheme must be "mongodb" or "mongodb+srv"`,
		},
		{
			name:    "port",
			vars:    map[string]string{store.EnvDBHost: "user:secret@datastore:port"},
			wantErr: `config: DB_HOST: error parsing uri: invalid host "": port must be an integer: strconv.Atoi: parsing "port": invalid syntax`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), nil, Getenv(tt.vars), &stdout, &stderr)
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

// CheckServiceConfig checks what every service reads alike into its
// configuration: the data directory (want wantDataDir) and the platform's
// default registry (mDNS).
func CheckServiceConfig(t *testing.T, cfg store.ServiceConfig, wantDataDir string) {
	t.Helper()
	if cfg.Storage.DataDir != wantDataDir {
		t.Errorf("DataDir = %q, want %q", cfg.Storage.DataDir, wantDataDir)
	}
	if cfg.Platform.Registry != platform.RegistryMDNS {
		t.Errorf("Platform.Registry = %q, want the platform default %q", cfg.Platform.Registry, platform.RegistryMDNS)
	}
}

// AssertNotCreated checks that nothing exists at path; what says what the
// path is, for the message.
func AssertNotCreated(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: Stat(%s) = %v, want it not created", what, path, err)
	}
}
