package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// Timing of the processes the tests start.
const (
	// startTimeout bounds the time from starting a service to finding it
	// in the registry.
	startTimeout = 10 * time.Second
	// shutdownTimeout is the services' SHUTDOWN_TIMEOUT; a stopped
	// service must exit within it plus stopGrace.
	shutdownTimeout = 3 * time.Second
	stopGrace       = 5 * time.Second
	// cliTimeout bounds one run of the CLI, well above its own --timeout.
	cliTimeout = 60 * time.Second
)

// ownedEnv reports whether the environment variable key is one the tests
// set for the programs; an inherited value of one is dropped.
func ownedEnv(key string) bool {
	switch key {
	case "VESSELS_FILE", "DATA_DIR", "MONGO_URI", "VESSEL_TIMEOUT",
		platform.EnvShutdownTimeout, platform.EnvLogLevel:
		return true
	}
	return strings.HasPrefix(key, "MICRO_")
}

// programEnv is the test process's environment without the variables the
// programs read, plus kv ("KEY=value" each): every test traffic stays on
// 127.0.0.1, discovery is mDNS.
//
// The programs are built with -race, whose runtime sleeps 1 s before every
// exit (GORACE atexit_sleep_ms) so that late reports still print; that
// second would be most of each CLI run, so it is turned off. A race is
// still reported when it happens, and fails the run with exit code 66.
func programEnv(kv ...string) []string {
	var env []string
	gorace := "atexit_sleep_ms=0"
	for _, e := range os.Environ() {
		key, value, _ := strings.Cut(e, "=")
		switch {
		case key == "GORACE":
			gorace = value + " " + gorace
		case !ownedEnv(key):
			env = append(env, e)
		}
	}
	env = append(env,
		"GORACE="+gorace,
		platform.EnvRegistry+"="+platform.RegistryMDNS,
		platform.EnvServerAddress+"=127.0.0.1:0",
	)
	return append(env, kv...)
}

// lookupEnv returns a getenv over env, the last value of a key winning as
// it does for exec.
func lookupEnv(env []string) func(string) string {
	return func(key string) string {
		for _, e := range slices.Backward(env) {
			if k, v, ok := strings.Cut(e, "="); ok && k == key {
				return v
			}
		}
		return ""
	}
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// service is one running service process.
type service struct {
	prog string
	// name is the name the service registers under.
	name string
	env  []string
	cmd  *exec.Cmd
	// stdout holds the service's JSON log lines; stderr should stay empty.
	stdout, stderr syncBuffer
	// exited is closed once the process has exited and cmd.ProcessState
	// is set.
	exited chan struct{}
	// address is the address the service listens on, from its "service
	// started" log line.
	address string
	// stopped is set once stop was called.
	stopped bool
}

// startService starts the program prog, which registers as name, with env,
// and returns once the registry lists the new instance. It fails t when the
// service exits or is not discoverable within startTimeout. A service not
// stopped when owner ends (t, or the test t is a subtest of, for a service
// that outlives t) is stopped then, and must exit 0 as stop says; when owner
// failed, the service's output is logged.
func startService(t *testing.T, owner testing.TB, prog, name string, env []string) *service {
	t.Helper()
	s := &service{prog: prog, name: name, env: env, exited: make(chan struct{})}
	s.cmd = exec.Command(binary(t, prog))
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", prog, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	owner.Cleanup(func() {
		if !s.stopped {
			s.stop(owner)
		}
		if owner.Failed() {
			owner.Logf("%s (pid %d, %s) stdout:\n%s\nstderr:\n%s",
				prog, s.cmd.Process.Pid, s.cmd.ProcessState, s.stdout.String(), s.stderr.String())
		}
	})
	deadline := time.Now().Add(startTimeout)
	s.waitStarted(t, deadline)
	s.waitDiscoverable(t, deadline)
	return s
}

func (s *service) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// waitStarted waits for the "service started" log line and takes the
// service's address from it.
func (s *service) waitStarted(t *testing.T, deadline time.Time) {
	t.Helper()
	for {
		if addr, ok := startedAddress(s.stdout.String()); ok {
			s.address = addr
			return
		}
		if s.hasExited() {
			t.Fatalf("%s exited before logging \"service started\": %s; stderr: %s",
				s.prog, s.cmd.ProcessState, strings.TrimSpace(s.stderr.String()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s logged no \"service started\" line within %s", s.prog, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startedAddress finds the line {"msg":"service started","address":...} in
// the JSON log lines logs.
func startedAddress(logs string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			Address string `json:"address"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "service started" {
			return line.Address, true
		}
	}
	return "", false
}

// waitDiscoverable polls the mDNS registry until it lists this instance:
// a node of s.name on s.address's port. Instances that were stopped do not
// count, so this also waits out a restart.
func (s *service) waitDiscoverable(t *testing.T, deadline time.Time) {
	t.Helper()
	_, port, err := net.SplitHostPort(s.address)
	if err != nil || port == "" || port == "0" {
		t.Fatalf("%s logged \"service started\" with address %q, want host:port", s.prog, s.address)
	}
	cfg, err := platform.LoadConfig(lookupEnv(s.env))
	if err != nil {
		t.Fatalf("registry config: %v", err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	var nodes []string
	for {
		services, err := reg.GetService(s.name)
		nodes = nodes[:0]
		for _, svc := range services {
			for _, n := range svc.Nodes {
				if strings.HasSuffix(n.Address, ":"+port) {
					return
				}
				nodes = append(nodes, n.Address)
			}
		}
		if s.hasExited() {
			t.Fatalf("%s exited before it was discoverable: %s", s.prog, s.cmd.ProcessState)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (listening on %s) is not in the registry as %s within %s; last lookup: nodes %v, error %v",
				s.prog, s.address, s.name, startTimeout, nodes, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and fails t unless the service exits 0 within
// shutdownTimeout+stopGrace; it kills a service that does not exit. A
// service that had exited by itself fails t too.
func (s *service) stop(t testing.TB) {
	t.Helper()
	s.stopped = true
	if s.hasExited() {
		t.Errorf("%s had exited before it was stopped: %s", s.prog, s.cmd.ProcessState)
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM %s: %v", s.prog, err)
	}
	limit := shutdownTimeout + stopGrace
	select {
	case <-s.exited:
	case <-time.After(limit):
		s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("%s did not exit within %s of SIGTERM (SHUTDOWN_TIMEOUT=%s); killed", s.prog, limit, shutdownTimeout)
		return
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with code %d after SIGTERM, want 0 (66 is a data race); stderr: %s",
			s.prog, code, strings.TrimSpace(s.stderr.String()))
	}
}

// startAgain starts another instance of s's program with the same
// environment and returns it once discoverable. It lives as long as owner.
func (s *service) startAgain(t *testing.T, owner testing.TB) *service {
	t.Helper()
	return startService(t, owner, s.prog, s.name, s.env)
}

// stack is a vessel service and a consignment service that find each other
// over mDNS, and a working directory for the CLI.
type stack struct {
	// owner is the test the stack lives for.
	owner               *testing.T
	vessel, consignment *service
	// dir is the CLI's working directory.
	dir string
}

// startStack starts both services and waits until both are discoverable.
// fleet is the JSON of VESSELS_FILE, or empty for the built-in fleet. Each
// service gets its own DATA_DIR, and env ("KEY=value" each) last. When t
// ends, the services still running are stopped with SIGTERM (the
// consignment service first) and must exit 0; one that exited by itself
// fails t.
//
// The services of one mDNS namespace are shared by every test in it, so
// stacks must not overlap: tests that start one do not run in parallel.
func startStack(t *testing.T, fleet string, env ...string) *stack {
	t.Helper()
	root := t.TempDir()
	st := &stack{owner: t, dir: filepath.Join(root, "cli")}
	for _, d := range []string{"cli", "vessel", "consignment"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	common := []string{
		platform.EnvShutdownTimeout + "=" + shutdownTimeout.String(),
		platform.EnvLogLevel + "=info",
	}
	vesselEnv := programEnv(append(common, "DATA_DIR="+filepath.Join(root, "vessel"))...)
	if fleet != "" {
		vesselEnv = append(vesselEnv, "VESSELS_FILE="+writeFile(t, root, "vessels.json", fleet))
	}
	vesselEnv = append(vesselEnv, env...)
	consignmentEnv := programEnv(append(common, "DATA_DIR="+filepath.Join(root, "consignment"))...)
	consignmentEnv = append(consignmentEnv, env...)

	st.vessel = startService(t, t, progVessel, vesselpb.ServiceName, vesselEnv)
	st.consignment = startService(t, t, progConsignment, consignmentpb.ServiceName, consignmentEnv)
	return st
}

// restartVessel starts the vessel service again after it was stopped; t may
// be a subtest of the stack's test.
func (st *stack) restartVessel(t *testing.T) {
	t.Helper()
	st.vessel = st.vessel.startAgain(t, st.owner)
}

// restartConsignment is restartVessel for the consignment service.
func (st *stack) restartConsignment(t *testing.T) {
	t.Helper()
	st.consignment = st.consignment.startAgain(t, st.owner)
}

// cli runs the CLI in the stack's directory.
func (st *stack) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, st.dir, nil, args...)
}

// cliResult is what one run of the CLI (or of another program that is
// expected to exit by itself) did.
type cliResult struct {
	prog           string
	args           []string
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("%s %s: exit %d\nstdout: %q\nstderr: %q",
		r.prog, strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// runCLI runs the CLI with args in dir, with env ("KEY=value" each) added to
// programEnv's, and fails t when it cannot be run or does not finish within
// cliTimeout.
func runCLI(t *testing.T, dir string, env []string, args ...string) cliResult {
	t.Helper()
	r, err := execProgram(binary(t, progCLI), dir, programEnv(env...), cliTimeout, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// execCLI is runCLI for any goroutine: it returns its failure.
func execCLI(bin, dir string, args ...string) (cliResult, error) {
	return execProgram(bin, dir, programEnv(), cliTimeout, args...)
}

// execProgram runs bin with args in dir with env and waits at most timeout
// for it to exit.
func execProgram(bin, dir string, env []string, timeout time.Duration, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{prog: filepath.Base(bin), args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s %s: did not exit within %s\nstdout: %q\nstderr: %q",
			r.prog, strings.Join(args, " "), timeout, r.stdout, r.stderr)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		return r, fmt.Errorf("run %s: %w", r.prog, err)
	}
	return r, nil
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
