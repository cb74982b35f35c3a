package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv/netns"
)

// The programs under test: each is the module of that name in the workspace,
// built into a binary of that name.
const (
	progUser         = "shippy-service-user"
	progVessel       = "shippy-service-vessel"
	progConsignment  = "shippy-service-consignment"
	progNotification = "shippy-service-notification"
	progCLI          = "shippy-cli-consignment"
)

// programs lists every program TestMain builds.
func programs() []string {
	return []string{progUser, progVessel, progConsignment, progNotification, progCLI}
}

// envBinDir carries the directory of the built programs from the process
// that built them to the test binary netns.Main re-runs in a namespace.
const envBinDir = "SHIPPY_E2E_BIN_DIR"

// buildTimeout bounds the build of all the programs.
const buildTimeout = 10 * time.Minute

// TestMain builds the programs once, outside the network namespace
// where possible (the namespace has no network; the module cache is shared
// either way), then runs the tests inside a namespace via netns.Main. A
// program that does not build fails only the tests that need it, with the
// compiler's output (see binary).
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here is end to end and skips under -short: build
		// nothing and make no namespace.
		os.Exit(m.Run())
	}
	if os.Getenv(envBinDir) != "" {
		os.Exit(netns.Main(m)) // built by the parent process
	}
	dir, err := os.MkdirTemp("", "shippy-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	buildAll(dir)
	os.Setenv(envBinDir, dir)
	code := netns.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildAll builds every program into dir with the race detector, in
// parallel. A program that fails to build leaves dir/<name>.build.log
// instead of dir/<name>.
func buildAll(dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, prog := range programs() {
		wg.Go(func() {
			if out, err := build(ctx, dir, prog); err != nil {
				log := fmt.Sprintf("go build %s: %v\n%s", prog, err, out)
				os.WriteFile(filepath.Join(dir, prog+".build.log"), []byte(log), 0o644)
			}
		})
	}
	wg.Wait()
}

// build runs go build -race for prog in its own module directory, so that
// it builds the same with the workspace and with GOWORK=off. GOPROXY=off
// makes a module missing from the cache fail at once and clearly.
func build(ctx context.Context, dir, prog string) ([]byte, error) {
	src, err := filepath.Abs(filepath.Join("..", prog))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-race",
		"-o", filepath.Join(dir, prog), "github.com/shippy-suite/shippy/"+prog)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	return cmd.CombinedOutput()
}

// binary returns the path of the built program prog, or fails t with the
// reason it did not build.
func binary(t testing.TB, prog string) string {
	t.Helper()
	dir := os.Getenv(envBinDir)
	if dir == "" {
		t.Fatalf("%s is not set: TestMain did not build the programs", envBinDir)
	}
	path := filepath.Join(dir, prog)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	log, err := os.ReadFile(path + ".build.log")
	if err != nil {
		t.Fatalf("%s was not built and left no build log: %v", prog, err)
	}
	t.Fatalf("%s does not build:\n%s", prog, log)
	return ""
}

// requireE2E skips t under -short and makes sure it runs inside a private
// network namespace, so that mDNS stays on the namespace's loopback. Every
// test that starts a program calls it first.
func requireE2E(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	netns.Require(t)
}
