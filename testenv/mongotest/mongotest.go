// Package mongotest gives tests a MongoDB wire server and a fresh database
// on it.
//
// With SHIPPY_TEST_MONGO_URI set, tests use the MongoDB it names. Otherwise
// they use FerretDB (SQLite backend) built by `make ferretdb` into
// bin/ferretdb at the repository root, or the binary FERRETDB_BIN names: one
// process per test binary, started by the first test that asks for it and
// stopped when the test binary exits. Each test gets a database of its own,
// dropped when the test ends.
//
// When the FerretDB binary is missing, tests skip and say how to build it;
// under CI=true they fail instead, so that CI never passes by skipping.
//
// FerretDB v1 is not MongoDB in two ways that matter to concurrency tests:
// it does not apply concurrent updates of one document atomically (it reads,
// changes and writes the document in separate steps), and it has no
// transactions. IsFerretDB tells a test which server it talks to, and
// FerretDBNotAtomic is the reason to give when skipping.
package mongotest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/testenv"
)

// Environment variables this package reads.
const (
	// EnvURI names a MongoDB to test against instead of FerretDB.
	EnvURI = "SHIPPY_TEST_MONGO_URI"
	// EnvFerretDBBin is the path of the FerretDB binary; unset, it is
	// bin/ferretdb in the repository root (the directory of go.work).
	EnvFerretDBBin = "FERRETDB_BIN"
)

// FerretDBNotAtomic is why a test of concurrent updates skips on FerretDB.
const FerretDBNotAtomic = "FerretDB v1 does not apply concurrent updates of one document atomically " +
	"and has no transactions, so concurrent bookings may overbook on it; " +
	"run with " + EnvURI + " pointing to a real MongoDB to test them"

// startTimeout bounds how long a FerretDB process may take to answer a ping.
const startTimeout = 30 * time.Second

// shared is the FerretDB process of this test binary. It is package state
// on purpose: starting one process per test would cost a start-up each, and
// tests keep apart by database name instead.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Start returns the connection string of the server the test should use:
// the MongoDB of SHIPPY_TEST_MONGO_URI, or the shared FerretDB process,
// started on first use. It skips the test (fails it under CI=true) when
// the FerretDB binary is missing.
func Start(tb testing.TB) string {
	tb.Helper()
	if uri := os.Getenv(EnvURI); uri != "" {
		return uri
	}
	bin := ferretDBBin(tb)
	shared.once.Do(func() {
		// Not tied to tb: the process outlives this test, and -stop-on-eof
		// stops it (and removes its data) when the test binary exits.
		shared.srv, shared.err = startFerretDB(bin, "127.0.0.1:0", "")
	})
	if shared.err != nil {
		tb.Fatalf("mongotest: %v", shared.err)
	}
	return shared.srv.URI()
}

// NewDatabase returns a new, empty database on the server Start returns,
// reached through a client of its own. The database is dropped and the
// client disconnected when the test ends.
func NewDatabase(tb testing.TB) *mongo.Database {
	tb.Helper()
	client := Connect(tb, Start(tb))
	db := client.Database(DatabaseName(tb))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			tb.Errorf("mongotest: drop database %s: %v", db.Name(), err)
		}
	})
	return db
}

// Connect returns a client of the server at uri, disconnected when the test
// ends. It does not wait for the server.
func Connect(tb testing.TB, uri string) *mongo.Client {
	tb.Helper()
	client, err := mongo.Connect(context.Background(), options.Client().
		ApplyURI(uri).
		SetServerSelectionTimeout(5*time.Second))
	if err != nil {
		tb.Fatalf("mongotest: connect: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Disconnect(ctx); err != nil {
			tb.Errorf("mongotest: disconnect: %v", err)
		}
	})
	return client
}

// DatabaseName returns a database name no other test uses, in this test
// binary or in any other that shares the server: the test's name, cut to
// fit, and a random suffix. It is valid on MongoDB and FerretDB (at most
// 63 bytes of letters, digits and underscores).
func DatabaseName(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("test_")
	for _, r := range tb.Name() {
		if b.Len() >= 45 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix) // never fails
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(suffix))
	return b.String()
}

// IsFerretDB reports whether the server at uri is FerretDB rather than
// MongoDB, from what it answers to buildInfo.
func IsFerretDB(tb testing.TB, uri string) bool {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Second)
	defer cancel()
	var info bson.M
	err := Connect(tb, uri).Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info)
	if err != nil {
		tb.Fatalf("mongotest: buildInfo: %v", err)
	}
	_, ok := info["ferretdbVersion"]
	return ok
}

// Server is a FerretDB process.
type Server struct {
	bin     string
	addr    string // host:port it listens on
	dataDir string // "" for a temporary directory of its own

	mu   sync.Mutex
	proc *process // nil while stopped
}

// StartFerretDB starts a FerretDB process for this test alone, whatever
// SHIPPY_TEST_MONGO_URI says, on a free loopback port with its data in a
// temporary directory of the test. It is for tests that stop and restart
// the server; the process is stopped when the test ends. It skips the test
// (fails it under CI=true) when the binary is missing.
func StartFerretDB(tb testing.TB) *Server {
	tb.Helper()
	s, err := startFerretDB(ferretDBBin(tb), "127.0.0.1:0", tb.TempDir())
	if err != nil {
		tb.Fatalf("mongotest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Errorf("mongotest: %v", err)
		}
	})
	return s
}

// URI returns the server's connection string, the same across restarts.
func (s *Server) URI() string {
	return (&url.URL{Scheme: "mongodb", Host: s.addr, Path: "/"}).String()
}

// Stop kills the process, as a crash would, and waits until it has exited:
// from then on, connections to the server are refused.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("mongotest: %v", err)
	}
}

// Restart starts a stopped server again, on the same address and over the
// same data, and waits until it answers.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		tb.Fatalf("mongotest: restart FerretDB %s: it is running", s.addr)
	}
	p, _, err := spawn(s.bin, s.addr, s.dataDir)
	if err != nil {
		tb.Fatalf("mongotest: restart FerretDB: %v", err)
	}
	s.proc = p
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.kill()
	s.proc = nil
	if err != nil {
		return fmt.Errorf("stop FerretDB %s: %w", s.addr, err)
	}
	return nil
}

// startFerretDB starts the binary on addr (port 0: a free one) over
// dataDir ("": a temporary directory the process removes when it stops)
// and waits until it answers.
func startFerretDB(bin, addr, dataDir string) (*Server, error) {
	p, uri, err := spawn(bin, addr, dataDir)
	if err != nil {
		return nil, fmt.Errorf("start FerretDB: %w", err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start FerretDB: it printed %q: %w", uri, err), p.kill())
	}
	return &Server{bin: bin, addr: u.Host, dataDir: dataDir, proc: p}, nil
}

// process is one run of the FerretDB binary.
type process struct {
	cmd    *exec.Cmd
	stdin  io.Closer     // closing it stops the process (-stop-on-eof)
	stderr *tailBuffer   // the end of its log, for error messages
	exited chan struct{} // closed when Wait has returned
	err    error         // Wait's error, set before exited is closed
}

// spawn runs the binary, reads the connection string it prints, and waits
// until the server answers a ping.
func spawn(bin, addr, dataDir string) (*process, string, error) {
	args := []string{"-listen-addr", addr, "-stop-on-eof"}
	if dataDir != "" {
		args = append(args, "-data-dir", dataDir)
	}
	cmd := exec.Command(bin, args...)
	p := &process{cmd: cmd, stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	lines := make(chan string, 1)
	go func() {
		// The binary prints one line; reading until EOF lets Wait return.
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = cmd.Wait()
		close(p.exited)
	}()

	var uri string
	select {
	case uri = <-lines:
	case <-p.exited:
		return nil, "", fmt.Errorf("%s exited: %v; its log:\n%s", bin, p.err, p.stderr)
	case <-time.After(startTimeout):
		return nil, "", errors.Join(fmt.Errorf("%s printed no address in %v; its log:\n%s", bin, startTimeout, p.stderr), p.kill())
	}
	if err := ping(uri, p.exited); err != nil {
		return nil, "", errors.Join(fmt.Errorf("%s at %s: %w; its log:\n%s", bin, uri, err, p.stderr), p.kill())
	}
	return p, uri, nil
}

// ping waits until the server at uri answers a ping, the process exits, or
// startTimeout passes.
func ping(uri string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).SetServerSelectionTimeout(time.Second))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	for {
		err := client.Ping(ctx, nil)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it answered a ping: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("no answer to a ping in %v: %w", startTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kill kills the process and waits until it has exited.
func (p *process) kill() error {
	_ = p.stdin.Close()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.exited
	return nil
}

// ferretDBBin returns the path of the FerretDB binary, or skips the test
// (fails it under CI=true) when there is none.
func ferretDBBin(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(EnvFerretDBBin)
	if bin == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			tb.Fatalf("mongotest: %v (set %s)", err, EnvFerretDBBin)
		}
		bin = filepath.Join(root, "bin", "ferretdb")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("mongotest: no FerretDB binary (%v): run `make ferretdb`, or set %s to a MongoDB", err, EnvURI)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
