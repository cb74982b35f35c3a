package compose

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Service names in docker-compose.yml.
const (
	svcUser        = "shippy-service-user"
	svcVessel      = "shippy-service-vessel"
	svcConsignment = "shippy-service-consignment"
	svcCLI         = "shippy-cli-consignment"
	svcConsul      = "consul"
	svcMongo       = "mongo"
	svcNATS        = "nats"
)

// Bounds of what the tests wait for.
const (
	// commandTimeout bounds one compose or docker command; `up` waits
	// for the health of the services others depend on.
	commandTimeout = 3 * time.Minute
	// healthyTimeout bounds the wait for started containers to be healthy.
	healthyTimeout = 90 * time.Second
	// cliTimeout bounds one run of the CLI's container.
	cliTimeout = 90 * time.Second
	// stopTimeout is compose's default stop timeout, after which it kills:
	// a clean stop is well within it.
	stopTimeout = 10 * time.Second
)

// Environment variables the tests read.
const (
	// envCompose is the compose command, split on spaces: "docker compose"
	// or "docker-compose". make e2e sets it.
	envCompose = "SHIPPY_COMPOSE"
	// envTag is the tag of the suite's images (docker-compose.yml reads it
	// too); make sets it, and its default there is "dev".
	envTag = "SHIPPY_TAG"
)

// composeVar reports whether key is an environment variable that
// docker-compose.yml or compose itself reads: the tests set the ones they
// need, and an inherited one would make them depend on the caller's shell.
func composeVar(key string) bool {
	for _, prefix := range []string{"COMPOSE_", "MICRO_", "MONGO_", "CONSUL_", "OTEL_", "NATS_", "SMTP"} {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	switch key {
	case "LOG_LEVEL", "VESSEL_TIMEOUT", "METRICS_ADDRESS":
		return true
	}
	return false
}

// requireCompose skips t unless the compose tests can run here: not under
// -short, with SHIPPY_COMPOSE set, and with a Docker engine that answers.
// It returns the compose command.
func requireCompose(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test on Docker: skipped under -short")
	}
	command := strings.Fields(os.Getenv(envCompose))
	if len(command) == 0 {
		t.Skipf("%s is not set: run these tests with `make e2e`, which builds the images and finds the compose command", envCompose)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine answers: docker info: %v\n%s", err, lastLines(string(out), 5))
	}
	return command
}

// stackConfig is what a test's compose project runs with.
type stackConfig struct {
	// registry is MICRO_REGISTRY: "mdns" (the default) or "consul", which
	// also enables the consul profile.
	registry string
	// consulImage is CONSUL_IMAGE, used with the consul registry.
	consulImage string
	// mongoImage, when set, is MONGO_IMAGE: it enables the mongo profile
	// and points the services at it through MONGO_URI.
	mongoImage string
	// env is more KEY=value settings for docker-compose.yml.
	env []string
	// files are compose files of testdata to add to docker-compose.yml.
	files []string
}

// stack is one compose project of docker-compose.yml: a test's own network,
// containers and volumes, removed with it.
type stack struct {
	// name is the project name (-p).
	name string
	// command is the compose command with the project's global flags.
	command []string
	env     []string
	// services are the long-running services the project starts, in the
	// order they are started.
	services []string
	// runOpts are more options of compose run for the CLI's container.
	runOpts []string
	// signedIn: the CLI's config volume holds a token (see signIn).
	signedIn bool
}

// newStack returns a project named after t, with a random suffix, that is
// taken down with its volumes when t ends (after its logs are written to
// t, when t failed). Nothing is started yet.
func newStack(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	command := requireCompose(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	requireImages(t)

	s := &stack{name: projectName(t.Name())}
	s.command = append(command, "-p", s.name, "--project-directory", root,
		"-f", filepath.Join(root, "docker-compose.yml"))
	s.env = append(s.env, "MICRO_REGISTRY="+cmp.Or(cfg.registry, "mdns"))
	switch cfg.registry {
	case "consul":
		s.command = append(s.command, "--profile", svcConsul)
		s.env = append(s.env, "CONSUL_IMAGE="+cfg.consulImage,
			// a free port of the host's loopback for Consul's API
			"CONSUL_HTTP_PORT=0")
		s.services = append(s.services, svcConsul)
	}
	if cfg.mongoImage != "" {
		s.command = append(s.command, "--profile", svcMongo)
		s.env = append(s.env, "MONGO_IMAGE="+cfg.mongoImage, "MONGO_URI=mongodb://mongo:27017/shippy")
		s.services = append(s.services, svcMongo)
	}
	for _, f := range cfg.files {
		s.command = append(s.command, "-f", filepath.Join(root, "e2e", "compose", "testdata", f))
	}
	// The broker starts before the services (they depend on it), and stops
	// with them.
	s.services = append(s.services, svcNATS, svcUser, svcVessel, svcConsignment)
	s.env = append(s.env, cfg.env...)

	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLogs(t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		if _, stderr, err := s.compose(ctx, nil, "down", "-v", "--remove-orphans", "-t", "20"); err != nil {
			t.Errorf("compose down %s: %v\n%s", s.name, err, stderr)
		}
	})
	return s
}

// projectName is a compose project name for the test named test: lower
// case letters, digits and dashes, unique per call.
func projectName(test string) string {
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(test), "-"), "-")
	return fmt.Sprintf("shippy-e2e-%s-%06x", name, rand.IntN(1<<24))
}

// processEnv is the environment of the compose commands: the test
// process's, without what compose and docker-compose.yml read, plus the
// stack's settings.
func (s *stack) processEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if key, _, _ := strings.Cut(kv, "="); !composeVar(key) {
			env = append(env, kv)
		}
	}
	return append(env, s.env...)
}

// compose runs the compose command with args and stdin (nil: none) under
// ctx, and returns its output. The error says how it ended.
func (s *stack) compose(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	argv := append(slices.Clone(s.command), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = s.processEnv()
	cmd.Stdin = stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// Interrupt first, so that compose stops what it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return out.String(), errOut.String(), err
}

// mustCompose runs the compose command with args, and fails t with the
// command and its output when it fails.
func (s *stack) mustCompose(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	stdout, stderr, err := s.compose(ctx, nil, args...)
	if err != nil {
		t.Fatalf("compose %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// start starts the stack's services one by one up to the vessel service,
// each profile's service first (Consul must be there for the services to
// register, MongoDB for them to start) and NATS, then the user service, and then
// the vessel and consignment services together, with upArgs (for example
// --scale); it returns once every container is healthy, and, the first
// time, the CLI signed in (signIn).
func (s *stack) start(t *testing.T, upArgs ...string) {
	t.Helper()
	for _, svc := range s.services {
		if svc == svcUser {
			break
		}
		s.mustCompose(t, "up", "-d", svc)
		s.waitHealthy(t, svc)
	}
	s.mustCompose(t, append(append([]string{"up", "-d"}, upArgs...), svcUser, svcVessel, svcConsignment)...)
	s.waitHealthy(t, svcUser, svcVessel, svcConsignment)
	if !s.signedIn {
		s.signIn(t)
		s.signedIn = true
	}
}

// restart takes the whole stack down, keeping its volumes, and starts it
// again.
func (s *stack) restart(t *testing.T) {
	t.Helper()
	s.mustCompose(t, "down")
	if ids := s.containers(t, ""); len(ids) > 0 {
		t.Fatalf("after compose down, containers are left: %v", ids)
	}
	s.start(t)
}

// containers returns the ids of the project's containers of service (all
// services: ""), running or not, leaving out one-off ones (run).
func (s *stack) containers(t *testing.T, service string) []string {
	t.Helper()
	args := []string{"ps", "-a", "-q", "--no-trunc",
		"--filter", "label=com.docker.compose.project=" + s.name,
		"--filter", "label=com.docker.compose.oneoff=False"}
	if service != "" {
		args = append(args, "--filter", "label=com.docker.compose.service="+service)
	}
	return strings.Fields(mustDocker(t, args...))
}

// containerState is what docker inspect says of a container.
type containerState struct {
	// service is the compose service the container belongs to.
	service              string
	name, status, health string
	exitCode             int
	oomKilled            bool
}

func (c containerState) String() string {
	s := fmt.Sprintf("%s: %s", c.name, c.status)
	if c.health != "" {
		s += ", " + c.health
	}
	if c.status == "exited" {
		s += fmt.Sprintf(", exit code %d", c.exitCode)
	}
	return s
}

// inspect returns the state of the container id.
func inspect(t *testing.T, id string) containerState {
	t.Helper()
	out := mustDocker(t, "inspect", "-f", `{{index .Config.Labels "com.docker.compose.service"}}|{{.Name}}|`+
		`{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}|{{.State.OOMKilled}}`, id)
	f := strings.Split(strings.TrimSpace(out), "|")
	if len(f) != 6 {
		t.Fatalf("docker inspect %s: unexpected output %q", id, out)
	}
	c := containerState{service: f[0], name: strings.TrimPrefix(f[1], "/"), status: f[2], health: f[3], oomKilled: f[5] == "true"}
	if _, err := fmt.Sscan(f[4], &c.exitCode); err != nil {
		t.Fatalf("docker inspect %s: exit code %q: %v", id, f[4], err)
	}
	return c
}

// waitHealthy waits until every container of services is running and
// healthy, and fails t when one exits or healthyTimeout passes.
func (s *stack) waitHealthy(t *testing.T, services ...string) {
	t.Helper()
	deadline := time.Now().Add(healthyTimeout)
	for {
		var waiting []containerState
		for _, svc := range services {
			ids := s.containers(t, svc)
			if len(ids) == 0 {
				t.Fatalf("service %s has no container", svc)
			}
			for _, id := range ids {
				c := inspect(t, id)
				if c.status == "exited" || c.status == "dead" {
					t.Fatalf("container %s stopped before it was healthy", c)
				}
				if c.status != "running" || (c.health != "" && c.health != "healthy") {
					waiting = append(waiting, c)
				}
			}
		}
		if len(waiting) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy after %v: %v", healthyTimeout, waiting)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// stopCleanly stops the project the way compose down does (SIGTERM, then
// SIGKILL after stopTimeout), and fails t unless every container but the
// ones in except exits by itself, within the timeout, with its clean exit
// code: 0, or 1 for Consul, which ends on SIGTERM without leaving its
// cluster, a development agent's in-memory cluster, with 1 by design (a
// leave would take longer than the timeout).
func (s *stack) stopCleanly(t *testing.T, except ...string) {
	t.Helper()
	began := time.Now()
	s.mustCompose(t, "stop")
	took := time.Since(began)
	for _, id := range s.containers(t, "") {
		if slices.Contains(except, id) {
			continue
		}
		want := 0
		c := inspect(t, id)
		if c.service == svcConsul {
			want = 1
		}
		if c.status != "exited" || c.exitCode != want || c.oomKilled {
			t.Errorf("after compose stop: %s; want exited with code %d", c, want)
		}
	}
	if took >= stopTimeout {
		t.Errorf("compose stop took %v: something waited for the %v kill timeout", took.Round(time.Millisecond), stopTimeout)
	}
	t.Logf("compose stop took %v", took.Round(time.Millisecond))
}

// dumpLogs writes the state and the last log lines of every container of
// the project to t.
func (s *stack) dumpLogs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	stdout, stderr, err := s.compose(ctx, nil, "ps", "-a")
	t.Logf("compose ps -a (%v):\n%s%s", err, stdout, stderr)
	stdout, stderr, err = s.compose(ctx, nil, "logs", "--no-color", "--tail", "60")
	t.Logf("compose logs (%v):\n%s%s", err, stdout, stderr)
}

// docker runs the docker CLI with args and returns its standard output.
func docker(ctx context.Context, args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// mustDocker is docker that fails t on an error.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := docker(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// imageExists reports whether the engine has the image ref.
func imageExists(ctx context.Context, ref string) bool {
	_, err := docker(ctx, "image", "inspect", "-f", "{{.Id}}", ref)
	return err == nil
}

// requireImages fails t unless the suite's images of envTag are built, the
// NATS server's included.
func requireImages(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	for _, prog := range []string{svcUser, svcVessel, svcConsignment, svcCLI, svcNATS} {
		if ref := imageRef(prog); !imageExists(ctx, ref) {
			t.Fatalf("image %s is not built: run `make images` (make e2e does)", ref)
		}
	}
}

// imageRef is the image of the program prog, as docker-compose.yml names
// it.
func imageRef(prog string) string {
	return "shippy/" + prog + ":" + cmp.Or(os.Getenv(envTag), "dev")
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// exitCode is the exit code of the command that returned err, or -1 when
// it did not exit by itself.
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}
