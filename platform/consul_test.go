package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// Registration timing for the Consul tests: short, so that they are quick.
const (
	testTTL      = 3 * time.Second
	testInterval = time.Second
)

// TestConsulRegistration runs a service on a real Consul agent: it registers
// with a TTL check, is discovered and called through NewRegistry and
// NewClient, answers health checks at the address Consul gives, and is gone
// from discovery as soon as it has stopped.
func TestConsulRegistration(t *testing.T) {
	agent := startConsul(t)
	const name = "shippy.test.consul"
	svc, reg := startConsulService(t, agent, name)
	node := waitNode(t, reg, name, 10*time.Second)
	if got, want := agent.checkType(t, "service:"+node.Id), "ttl"; got != want {
		t.Errorf("Consul check of %s: type %q, want %q", node.Id, got, want)
	}

	callCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	echoThrough(t, callCtx, NewClient(reg), name)

	conn, err := grpc.NewClient(node.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	health, err := healthpb.NewHealthClient(conn).Check(callCtx, &healthpb.HealthCheckRequest{Service: name})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health at the registered address %s: %s (err %v), want SERVING", node.Address, health.GetStatus(), err)
	}

	svc.stop()
	if err := svc.wait(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	// At once: no waiting for a TTL.
	if services, err := reg.GetService(name); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("GetService after the stop = %v, %v; want registry.ErrNotFound", services, err)
	}
}

// TestConsulKilledInstance kills a service with SIGKILL, so it cannot
// deregister: it leaves discovery once its TTL runs out.
func TestConsulKilledInstance(t *testing.T) {
	t.Parallel() // the service runs in a child process
	agent := startConsul(t)
	const name = "shippy.test.consul.killed"
	cfg := consulConfig(t, agent)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^TestConsulHelperProcess$")
	child.Env = append(os.Environ(),
		envHelperService+"="+name,
		EnvRegistry+"="+RegistryConsul,
		EnvRegistryAddress+"="+agent.addr,
		EnvServerAddress+"=127.0.0.1:0",
		EnvRegisterTTL+"="+testTTL.String(),
		EnvRegisterInterval+"="+testInterval.String(),
	)
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	p, err := proc.StartCommand(child)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.HasExited() {
			p.Kill(killWait)
		}
	})

	reg, err := NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	node := waitNode(t, reg, name, 15*time.Second)

	if err := p.Kill(killWait); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitGone(t, reg, name, testTTL+2*time.Second)
	t.Logf("node %s left discovery %s after SIGKILL (TTL %s)", node.Id, time.Since(killed).Round(10*time.Millisecond), testTTL)
}

// envHelperService names the service TestConsulHelperProcess runs.
const envHelperService = "SHIPPY_TEST_HELPER_SERVICE"

// TestConsulHelperProcess is not a test: it is the service that
// TestConsulKilledInstance runs in a child process, configured by the
// environment, and kills.
func TestConsulHelperProcess(t *testing.T) {
	name := os.Getenv(envHelperService)
	if name == "" {
		return
	}
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(context.Background(), name, cfg, NewLogger(os.Stderr, slog.LevelWarn))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Server().Handle(svc.Server().NewHandler(&TestService{})); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("Run() = %v before the kill", svc.Run())
}

// TestConsulAgentRestart restarts the Consul agent under a running service:
// the new agent knows nothing of it, and the service registers again by
// itself at its next renewal.
func TestConsulAgentRestart(t *testing.T) {
	agent := startConsul(t)
	const name = "shippy.test.consul.restart"
	_, reg := startConsulService(t, agent, name)
	before := waitNode(t, reg, name, 10*time.Second)

	agent.restart(t)
	if services, err := reg.GetService(name); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("GetService from the restarted agent = %v, %v; want registry.ErrNotFound (a -dev agent keeps nothing)", services, err)
	}
	restarted := time.Now()
	// The renewal that finds the agent gone retries with go-micro's backoff
	// (0.1 s, 0.7 s, 2 s): allow it on top of the interval.
	after := waitNode(t, reg, name, testInterval+3*time.Second)
	t.Logf("registered again %s after the agent restarted", time.Since(restarted).Round(10*time.Millisecond))
	if after.Id != before.Id || after.Address != before.Address {
		t.Errorf("registered again as %s at %s, want %s at %s", after.Id, after.Address, before.Id, before.Address)
	}
}

// killWait bounds the exit of a killed child process.
const killWait = 5 * time.Second

// consulEnv is the platform configuration for agent, with short
// registration timing.
func consulEnv(agent *consulAgent) map[string]string {
	return map[string]string{
		EnvRegistry:         RegistryConsul,
		EnvRegistryAddress:  agent.addr,
		EnvServerAddress:    "127.0.0.1:0",
		EnvRegisterTTL:      testTTL.String(),
		EnvRegisterInterval: testInterval.String(),
	}
}

// consulConfig is consulEnv, loaded.
func consulConfig(t *testing.T, agent *consulAgent) Config {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return consulEnv(agent)[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startConsulService runs the service name with a TestService handler on
// agent, and returns it with a registry of its own on the same agent, for
// the test's lookups.
func startConsulService(t *testing.T, agent *consulAgent, name string) (*running, registry.Registry) {
	t.Helper()
	var regs [2]registry.Registry // the service's, the test's
	for i := range regs {
		var err error
		if regs[i], err = NewRegistry(consulConfig(t, agent)); err != nil {
			t.Fatal(err)
		}
	}
	svc := startServiceWith(t, name, serviceOptions{reg: regs[0], env: consulEnv(agent), handlers: []any{&TestService{}}})
	return svc, regs[1]
}

// waitNode waits up to timeout for name's one node in reg, and returns it.
func waitNode(t *testing.T, reg registry.Registry, name string, timeout time.Duration) *registry.Node {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		services, err := reg.GetService(name)
		if err == nil && len(services) == 1 && len(services[0].Nodes) == 1 {
			return services[0].Nodes[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetService(%s) = %v, %v after %s; want one node", name, services, err, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone waits up to timeout until reg reports name not found.
func waitGone(t *testing.T, reg registry.Registry, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		services, err := reg.GetService(name)
		if errors.Is(err, registry.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetService(%s) = %v, %v after %s; want registry.ErrNotFound", name, services, err, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consulAgent is a Consul agent in -dev mode (a single server keeping
// everything in memory) on free loopback ports, stopped when the test ends.
type consulAgent struct {
	bin  string
	addr string   // HTTP API, host:port
	args []string // the same on every start, ports included
	cmd  *exec.Cmd
	exit chan struct{} // closed when cmd has exited
	logs *testenv.SyncBuffer
}

// startConsul starts an agent from the binary make consul builds, skipping
// the test when there is none (failing it under CI=true).
func startConsul(t *testing.T) *consulAgent {
	t.Helper()
	a := &consulAgent{bin: consulBinary(t), logs: &testenv.SyncBuffer{}}
	httpPort, serverPort, serfPort := testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)
	a.addr = "127.0.0.1:" + httpPort
	a.args = []string{
		"agent", "-dev", "-bind=127.0.0.1", "-client=127.0.0.1", "-log-level=warn",
		"-http-port=" + httpPort, "-server-port=" + serverPort, "-serf-lan-port=" + serfPort,
		"-serf-wan-port=-1", "-dns-port=-1", "-grpc-port=-1", "-grpc-tls-port=-1",
	}
	a.run(t)
	t.Cleanup(a.kill)
	return a
}

// consulBinary is $CONSUL_BIN, or bin/consul at the root of the workspace.
func consulBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CONSUL_BIN"); bin != "" {
		return bin
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			missingConsul(t, "no go.work above the test's directory and CONSUL_BIN is not set")
		}
		dir = parent
	}
	bin := filepath.Join(dir, "bin", "consul")
	if _, err := os.Stat(bin); err != nil {
		missingConsul(t, err.Error())
	}
	return bin
}

func missingConsul(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Consul agent binary (CI must run the Consul tests; run make consul): %s", why)
	}
	t.Skipf("no Consul agent binary: run make consul (or set CONSUL_BIN): %s", why)
}

// run starts the agent and waits until it has elected itself leader.
func (a *consulAgent) run(t *testing.T) {
	t.Helper()
	a.cmd = exec.Command(a.bin, a.args...)
	a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start consul: %v", err)
	}
	exit := make(chan struct{})
	go func(cmd *exec.Cmd) {
		cmd.Wait()
		close(exit)
	}(a.cmd)
	a.exit = exit

	deadline := time.Now().Add(20 * time.Second)
	for {
		var leader string
		if err := a.get("/v1/status/leader", &leader); err == nil && leader != "" {
			return
		}
		select {
		case <-exit:
			t.Fatalf("consul exited before it was ready: %s\n%s", a.cmd.ProcessState, a.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("consul had no leader within 20s:\n%s", a.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the agent at once, as a crash would.
func (a *consulAgent) kill() {
	a.cmd.Process.Kill()
	<-a.exit
}

// restart kills the agent and starts it again on the same ports.
func (a *consulAgent) restart(t *testing.T) {
	t.Helper()
	a.kill()
	a.run(t)
}

// checkType is the type of the agent's check id ("ttl", "tcp", ...).
func (a *consulAgent) checkType(t *testing.T, id string) string {
	t.Helper()
	var checks map[string]struct{ Type string }
	if err := a.get("/v1/agent/checks", &checks); err != nil {
		t.Fatal(err)
	}
	return checks[id].Type
}

// get decodes the JSON answer of the agent's HTTP API at path into v.
func (a *consulAgent) get(path string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	rsp, err := c.Get("http://" + a.addr + path)
	if err != nil {
		return err
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, rsp.Status)
	}
	return json.NewDecoder(rsp.Body).Decode(v)
}
