package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// tutorialClient is the go-micro v2 client built from the tutorial's
// protos, a module outside the workspace (compat/tutorial-client).
const tutorialClient = "tutorial-client"

// buildTutorialClient builds the tutorial client once, the first time a
// test needs it, into the directory of the built programs. TestMain does
// not build it; this runs inside the network namespace, so it builds
// offline from the module cache (GOPROXY=off), without the workspace.
var buildTutorialClient = sync.OnceValues(func() (string, error) {
	dir := os.Getenv(envBinDir)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: TestMain did not run", envBinDir)
	}
	src, err := filepath.Abs(filepath.Join("..", "compat", tutorialClient))
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, tutorialClient)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", tutorialClient, err, out)
	}
	return bin, nil
})

// TestTutorialClient runs a go-micro v2 gRPC client, built from the
// tutorial's protos and finding the service by name over mDNS, against the
// real services: clients written for the tutorial keep working.
func TestTutorialClient(t *testing.T) {
	requireE2E(t)
	bin, err := buildTutorialClient()
	if err != nil {
		t.Fatal(err)
	}
	file, _, want := shippedConsignment(t)
	st := startStack(t, "")

	start := time.Now()
	r, err := execProgram(bin, st.dir, programEnv(), cliTimeout, file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s ran in %s", tutorialClient, time.Since(start).Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("want exit 0, got %v", r)
	}
	var (
		created  bool
		vesselID string
		count    int
	)
	if _, err := fmt.Sscanf(r.stdout, "created: %t vessel_id: %s\nconsignments: %d\n", &created, &vesselID, &count); err != nil {
		t.Fatalf("parse stdout: %v\n%v", err, r)
	}
	if !created || vesselID != defaultVessel || count != 1 {
		t.Errorf("got created %t, vessel_id %q, %d consignment(s); want true, %q, 1\n%v",
			created, vesselID, count, defaultVessel, r)
	}

	// The tutorial client sends no id: the service assigns one.
	st.wantListedAlone(t, want, vesselID)
}
