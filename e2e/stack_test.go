package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/failpoint"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// Timing of the processes the tests start: a service must be in the
// registry within startTimeout of its start; shutdownTimeout is the
// services' SHUTDOWN_TIMEOUT, and a stopped service must exit within it
// plus stopGrace; a killed one within killWait.
const (
	startTimeout    = 10 * time.Second
	shutdownTimeout = 3 * time.Second
	stopGrace       = 5 * time.Second
	killWait        = 5 * time.Second
)

// ownedEnv reports whether the environment variable key is one the tests
// set for the programs; an inherited value of one is dropped.
func ownedEnv(key string) bool {
	switch key {
	case "VESSELS_FILE", "DATA_DIR", "MONGO_URI", "VESSEL_TIMEOUT", envTokenTTL, envPrivateKeyFile,
		envToken, envConfigHome, platform.EnvShutdownTimeout, platform.EnvLogLevel, failpoint.EnvFailpoint,
		events.EnvURL, envSMTPAddress:
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

// registryOf returns the registry the programs' environment env names, as
// they make it (platform.NewRegistry), or fails t.
func registryOf(t testing.TB, env []string) registry.Registry {
	t.Helper()
	cfg, err := platform.LoadConfig(lookupEnv(env))
	if err != nil {
		t.Fatalf("registry config: %v", err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	return reg
}

// service is one running service process.
type service struct {
	prog string
	// name is the name the service registers under.
	name string
	env  []string
	proc *proc.Process
	// stdout holds the service's JSON log lines; stderr should stay empty.
	stdout, stderr testenv.SyncBuffer
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
	s := &service{prog: prog, name: name, env: env}
	cmd := exec.Command(binary(t, prog))
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.stderr
	p, err := proc.StartCommand(cmd)
	if err != nil {
		t.Fatal(err)
	}
	s.proc = p
	owner.Cleanup(func() {
		if !s.stopped {
			s.stop(owner)
		}
		if owner.Failed() {
			owner.Logf("%s (pid %d, %s) stdout:\n%s\nstderr:\n%s",
				prog, p.Pid(), p.State(), s.stdout.String(), s.stderr.String())
		}
	})
	deadline := time.Now().Add(startTimeout)
	s.waitStarted(t, deadline)
	s.waitDiscoverable(t, deadline)
	return s
}

func (s *service) hasExited() bool { return s.proc.HasExited() }

// waitStarted waits for the "service started" log line and takes the
// service's address from it.
func (s *service) waitStarted(t *testing.T, deadline time.Time) {
	t.Helper()
	for {
		if line, ok := startedLine(s.stdout.String()); ok {
			s.address = line.Address
			return
		}
		if s.hasExited() {
			t.Fatalf("%s exited before logging \"service started\": %s; stderr: %s",
				s.prog, s.proc.State(), strings.TrimSpace(s.stderr.String()))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s logged no \"service started\" line within %s", s.prog, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// started is what a service's "service started" log line says.
type started struct {
	Address        string `json:"address"`
	MetricsAddress string `json:"metrics_address"`
}

// startedLine finds the line {"msg":"service started",...} in the JSON log
// lines logs.
func startedLine(logs string) (started, bool) {
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			started
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "service started" {
			return line.started, true
		}
	}
	return started{}, false
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
	reg := registryOf(t, s.env)
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
			t.Fatalf("%s exited before it was discoverable: %s", s.prog, s.proc.State())
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
	if err := s.proc.Stop(shutdownTimeout + stopGrace); err != nil {
		t.Errorf("%v (SHUTDOWN_TIMEOUT=%s; exit code 66 is a data race)", err, shutdownTimeout)
	}
}

// kill sends SIGKILL, a crash: the service neither deregisters nor drains,
// and its stores are not closed. It waits for the process to exit, and
// fails t when it had exited before.
func (s *service) kill(t testing.TB) {
	t.Helper()
	s.stopped = true
	if s.hasExited() {
		t.Errorf("%s had exited before it was killed: %s", s.prog, s.proc.State())
		return
	}
	if err := s.proc.Kill(killWait); err != nil {
		t.Fatal(err)
	}
}

// signingKey reads the key the service signs tokens with from its
// DATA_DIR (auth.DefaultKeyFile there), or fails t.
func (s *service) signingKey(t *testing.T) auth.PrivateKey {
	t.Helper()
	key, err := auth.LoadKey(filepath.Join(lookupEnv(s.env)("DATA_DIR"), auth.DefaultKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// memory reads the memory use of the running service, or fails t.
func (s *service) memory(t testing.TB) proc.Status {
	t.Helper()
	if s.hasExited() {
		t.Fatalf("%s has exited: %s", s.prog, s.proc.State())
	}
	st, err := proc.ReadStatus(s.proc.Pid())
	if err != nil {
		t.Fatalf("memory of %s: %v", s.prog, err)
	}
	return st
}

// publishedKeys returns the public keys the running instance publishes in
// its registry entry (auth.MetadataKey), as the services that verify its
// tokens read them; "" when its entry has none.
func (s *service) publishedKeys(t *testing.T) string {
	t.Helper()
	reg := registryOf(t, s.env)
	services, err := reg.GetService(s.name)
	if err != nil {
		t.Fatalf("look up %s: %v", s.name, err)
	}
	_, port, _ := net.SplitHostPort(s.address)
	var published string
	for _, svc := range services {
		for _, n := range svc.Nodes {
			if strings.HasSuffix(n.Address, ":"+port) {
				published = n.Metadata[auth.MetadataKey]
			}
		}
	}
	return published
}

// startAgain starts another instance of s's program with the same
// environment and returns it once discoverable. It lives as long as owner.
func (s *service) startAgain(t *testing.T, owner testing.TB) *service {
	t.Helper()
	return startService(t, owner, s.prog, s.name, s.env)
}

// stackTokenTTL is the TOKEN_TTL of a stack's user service, and the
// lifetime of the operators' tokens the tests sign: longer than any test.
const stackTokenTTL = time.Hour

// stack is the suite's services, the user, vessel and consignment services,
// that find each other over mDNS, a working directory for the CLI, and a
// customer registered on the user service.
type stack struct {
	// owner is the test the stack lives for.
	owner               *testing.T
	user                *userService
	vessel, consignment *service
	// dir is the CLI's working directory; configHome its XDG_CONFIG_HOME,
	// where it would keep a token, empty.
	dir, configHome string
	// userID is the stack's customer, and token the token the user service
	// gave them at login (valid for stackTokenTTL): what st.cli and st.rpc
	// send.
	userID, token string
}

// readFleet returns the JSON of testdata/name, a fleet for VESSELS_FILE.
func readFleet(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startStack starts every service, the user service first, and waits until
// each is discoverable; then it registers a customer and logs them in (the
// user service's Create and Auth), for st.userID and st.token. fleet is the
// JSON of VESSELS_FILE, or empty for the built-in fleet. Each service gets
// its own DATA_DIR, and env ("KEY=value" each) last; the user service's
// TOKEN_TTL is stackTokenTTL. When t ends, the services still running are
// stopped with SIGTERM in the reverse order (the consignment service first)
// and must exit 0; one that exited by itself fails t.
//
// The services of one mDNS namespace are shared by every test in it, so
// stacks must not overlap: tests that start one do not run in parallel.
func startStack(t *testing.T, fleet string, env ...string) *stack {
	t.Helper()
	root := t.TempDir()
	st := &stack{owner: t, dir: filepath.Join(root, "cli"), configHome: filepath.Join(root, "config")}
	for _, d := range []string{"cli", "config", "user", "vessel", "consignment"} {
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

	st.user = startUser(t, filepath.Join(root, "user"), append([]string{envTokenTTL + "=" + stackTokenTTL.String()}, env...)...)
	st.vessel = startService(t, t, progVessel, vesselpb.ServiceName, vesselEnv)
	st.consignment = startService(t, t, progConsignment, consignmentpb.ServiceName, consignmentEnv)

	st.userID, st.token = st.signUp(t, "stack")
	return st
}

// signUp registers the customer name on the stack's user service and logs
// them in (Create and Auth), and returns their id and token.
func (st *stack) signUp(t *testing.T, name string) (id, token string) {
	t.Helper()
	u := newUser(name)
	return st.user.create(t, u).GetId(), st.user.login(t, u).GetToken()
}

// operatorID is the user id of the operators' tokens the tests sign. No
// account has it: the services read who calls from the token alone.
const operatorID = "e2e-operator"

// operatorToken returns a token of role operator for operatorID, signed
// with the user service's own key as its Auth signs a token, valid for
// stackTokenTTL: the suite has no command that makes an operator.
func (st *stack) operatorToken(t *testing.T) string {
	t.Helper()
	return signToken(t, st.user.signingKey(t), userpb.ServiceName, auth.RoleOperator,
		time.Now(), stackTokenTTL, operatorID, userpb.TokenAudience)
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

// room is the room left on one vessel: containers and kilograms.
type room struct {
	containers, weight int32
}

// rooms asks the vessel service directly (ListVessels, with the stack's
// customer's token) for the room left on each vessel, by vessel id: what
// bookings took can be checked exactly.
func (st *stack) rooms(t *testing.T) map[string]room {
	t.Helper()
	reg := registryOf(t, st.vessel.env)
	vessels := vesselpb.NewVesselService(vesselpb.ServiceName, platform.NewClient(reg))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rsp, err := vessels.ListVessels(auth.WithToken(ctx, st.token), &vesselpb.ListVesselsRequest{})
	if err != nil {
		t.Fatalf("ListVessels: %v", err)
	}
	got := make(map[string]room)
	for _, v := range rsp.GetVessels() {
		got[v.GetId()] = room{v.GetRemainingCapacity(), v.GetRemainingWeight()}
	}
	return got
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
