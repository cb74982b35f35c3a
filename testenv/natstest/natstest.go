// Package natstest gives tests a NATS server with JetStream: a process of
// bin/nats-server (built by `make nats`), or of the binary NATS_SERVER_BIN
// names, per call of Start, on 127.0.0.1 with its JetStream store in a
// temporary directory of the test. A test can stop, kill and restart it on
// the same port and store, as an operator or a crash would.
//
// When the binary is missing, tests skip and say how to build it; under
// CI=true they fail instead, so that CI never passes by skipping.
package natstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// EnvBin is the environment variable naming the nats-server binary; unset,
// it is bin/nats-server in the repository root (the directory of go.work).
const EnvBin = "NATS_SERVER_BIN"

const (
	// startTimeout bounds how long a start takes until JetStream answers.
	startTimeout = 30 * time.Second
	// stopGrace bounds how long the server may take to exit on SIGTERM.
	stopGrace = 10 * time.Second
	// logMax is how much of the end of the server's log Server keeps.
	logMax = 64 << 10
)

// Option changes how Start runs the server.
type Option func(*Server)

// Args adds command-line flags of nats-server to those Start passes
// (-a, -p, -m, -js, -sd and --ports_file_dir), on every start.
func Args(args ...string) Option {
	return func(s *Server) { s.extra = append(s.extra, args...) }
}

// Server is a nats-server process with JetStream. Its methods are safe for
// concurrent use.
type Server struct {
	bin      string
	storeDir string   // the JetStream store, kept across restarts
	portsDir string   // where the server writes its ports file
	extra    []string // Args
	logs     *testenv.SyncBuffer

	mu          sync.Mutex
	clientPort  int           // 0 until the first start has chosen one
	monitorPort int           // the same, of the HTTP monitoring endpoint
	proc        *proc.Process // nil while stopped
}

// Start starts a nats-server with JetStream for this test, on free ports of
// 127.0.0.1 with its store in a temporary directory, and waits until it
// accepts connections and JetStream is ready. The server is stopped when
// the test ends. It skips the test (fails it under CI=true) when the
// binary is missing.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		bin:      binary(tb),
		storeDir: tb.TempDir(),
		portsDir: tb.TempDir(),
		logs:     &testenv.SyncBuffer{Max: logMax},
	}
	for _, opt := range opts {
		opt(s)
	}
	tb.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc == nil {
			return
		}
		if err := s.proc.Stop(stopGrace); err != nil {
			tb.Errorf("natstest: stop at the end of the test: %v", err)
		}
		s.proc = nil
		if tb.Failed() {
			tb.Logf("natstest: the end of the nats-server log:\n%s", s.logs)
		}
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(); err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	return s
}

// URL returns the client URL, nats://127.0.0.1:<port>, the same across
// restarts.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "nats://127.0.0.1:" + strconv.Itoa(s.clientPort)
}

// MonitorURL returns the base URL of the HTTP monitoring endpoint
// (/healthz, /jsz, /varz), the same across restarts.
func (s *Server) MonitorURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://127.0.0.1:" + strconv.Itoa(s.monitorPort)
}

// StoreDir returns the directory of the JetStream store.
func (s *Server) StoreDir() string { return s.storeDir }

// Logs returns the end of the server's log (its last 64 KiB), across
// restarts.
func (s *Server) Logs() string { return s.logs.String() }

// Stop stops the server as an operator would, with SIGTERM, and waits until
// it has exited (it fails the test unless it exits 0 within 10 s): from
// then on, connections are refused.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.running(tb, "stop")
	s.proc = nil
	if err := p.Stop(stopGrace); err != nil {
		tb.Fatalf("natstest: %v", err)
	}
}

// Kill crashes the server with SIGKILL, and waits until it has exited: it
// runs no shutdown code. JetStream has written every message it
// acknowledged to its files (not synced: only a crash of the machine could
// lose them), so a restart finds them.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.running(tb, "kill")
	s.proc = nil
	if err := p.Kill(stopGrace); err != nil {
		tb.Fatalf("natstest: %v", err)
	}
}

// Restart starts a stopped or killed server again, on the same ports and
// store, and waits until it accepts connections and JetStream has
// recovered its streams.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		tb.Fatalf("natstest: restart nats-server on port %d: it is running", s.clientPort)
	}
	if err := s.start(); err != nil {
		tb.Fatalf("natstest: restart: %v", err)
	}
}

// running returns the running process, or fails the test saying it cannot
// do what when there is none. Call it with s.mu held.
func (s *Server) running(tb testing.TB, what string) *proc.Process {
	tb.Helper()
	if s.proc == nil {
		tb.Fatalf("natstest: %s nats-server: it is not running", what)
	}
	return s.proc
}

// start runs the binary, on free ports the first time and on the same
// ports after, and waits until it is ready. Call it with s.mu held.
func (s *Server) start() error {
	args := []string{
		"-a", "127.0.0.1", "-p", portArg(s.clientPort), "-m", portArg(s.monitorPort),
		"-js", "-sd", s.storeDir, "--ports_file_dir", s.portsDir,
	}
	p, err := proc.Start(s.bin, nil, s.logs, append(args, s.extra...)...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.waitReady(ctx, p); err != nil {
		if !p.HasExited() {
			err = errors.Join(err, p.Kill(stopGrace))
		}
		return fmt.Errorf("nats-server: %w; the end of its log:\n%s", err, tail(s.logs.String(), 4096))
	}
	s.proc = p
	return nil
}

// waitReady waits until p has written its ports file, and its monitoring
// endpoint reports it healthy: accepting connections, JetStream enabled
// and its streams recovered. It sets the ports the first time.
func (s *Server) waitReady(ctx context.Context, p *proc.Process) error {
	portsFile := filepath.Join(s.portsDir, fmt.Sprintf("%s_%d.ports", filepath.Base(s.bin), p.Pid()))
	for {
		err := s.ready(ctx, portsFile)
		if err == nil {
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("exited (%s) before it was ready: %w", p.State(), err)
		case <-ctx.Done():
			return fmt.Errorf("not ready in %v: %w", startTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ready reads the ports of portsFile, once, and asks /healthz.
func (s *Server) ready(ctx context.Context, portsFile string) error {
	if s.clientPort == 0 {
		client, monitor, err := readPorts(portsFile)
		if err != nil {
			return err
		}
		s.clientPort, s.monitorPort = client, monitor
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(s.monitorPort) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// readPorts returns the client and monitoring ports of a ports file, which
// nats-server writes once it listens on both.
func readPorts(file string) (client, monitor int, err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, fmt.Errorf("read ports file: %w", err)
	}
	var ports struct {
		Nats       []string `json:"nats"`
		Monitoring []string `json:"monitoring"`
	}
	if err := json.Unmarshal(data, &ports); err != nil {
		return 0, 0, fmt.Errorf("ports file %s: %w", file, err)
	}
	if len(ports.Nats) != 1 || len(ports.Monitoring) != 1 {
		return 0, 0, fmt.Errorf("ports file %s: %s, want one client and one monitoring URL", file, data)
	}
	if client, err = urlPort(ports.Nats[0]); err != nil {
		return 0, 0, fmt.Errorf("ports file %s: %w", file, err)
	}
	if monitor, err = urlPort(ports.Monitoring[0]); err != nil {
		return 0, 0, fmt.Errorf("ports file %s: %w", file, err)
	}
	return client, monitor, nil
}

// urlPort returns the port of a URL such as nats://127.0.0.1:4222.
func urlPort(url string) (int, error) {
	i := strings.LastIndexByte(url, ':')
	if i < 0 {
		return 0, fmt.Errorf("%q has no port", url)
	}
	port, err := strconv.Atoi(url[i+1:])
	if err != nil || port <= 0 {
		return 0, fmt.Errorf("%q has no valid port", url)
	}
	return port, nil
}

// portArg is the flag value for port: -1, a random free port, while none
// has been chosen.
func portArg(port int) string {
	if port == 0 {
		return "-1"
	}
	return strconv.Itoa(port)
}

// tail returns the last max bytes of s.
func tail(s string, max int) string {
	if len(s) > max {
		return s[len(s)-max:]
	}
	return s
}

// binary returns the path of the nats-server binary, or skips the test
// (fails it under CI=true) when there is none.
func binary(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			tb.Fatalf("natstest: %v (set %s)", err, EnvBin)
		}
		bin = filepath.Join(root, "bin", "nats-server")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("natstest: no nats-server binary (%v): run `make nats`, or set %s", err, EnvBin)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}
