package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	userpb "github.com/shippy-suite/shippy/proto/user"
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
// real services: clients written for the tutorial keep working, given a
// token, which they send as the tutorial's part 4 clients did.
func TestTutorialClient(t *testing.T) {
	requireE2E(t)
	bin, err := buildTutorialClient()
	if err != nil {
		t.Fatal(err)
	}
	file, _, want := shippedConsignment(t)
	st := startStack(t, "")

	start := time.Now()
	r, err := execProgram(bin, st.dir, programEnv(), "", cliTimeout, file, st.token)
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

// tutorialUser is what the tutorial client's user and auth commands print
// on success.
type tutorialUser struct {
	// created is set when the run registered a user; id is its id and
	// passwordBytes the length of the password the service answered with.
	created       bool
	id            string
	passwordBytes int
	tokenBytes    int
	listed        int // users listed before signing in: none
	valid         bool
	users         int
}

// parseTutorialUser parses the stdout of a successful user command
// (created) or auth command.
func parseTutorialUser(stdout string, created bool) (tutorialUser, error) {
	got := tutorialUser{created: created}
	if created {
		line, rest, _ := strings.Cut(stdout, "\n")
		if _, err := fmt.Sscanf(line, "created: %s password: %d bytes", &got.id, &got.passwordBytes); err != nil {
			return got, fmt.Errorf("created line: %w", err)
		}
		line, rest, _ = strings.Cut(rest, "\n")
		if _, err := fmt.Sscanf(line, "listed: %d", &got.listed); err != nil {
			return got, fmt.Errorf("listed line: %w", err)
		}
		stdout = rest
	}
	if _, err := fmt.Sscanf(stdout, "token: %d bytes\nvalid: %t\nusers: %d\n", &got.tokenBytes, &got.valid, &got.users); err != nil {
		return got, fmt.Errorf("sign-in lines: %w", err)
	}
	return got, nil
}

// tutorialFailure parses what the tutorial client prints last on stderr
// when a call fails, "<step>: <go-micro v2 error as JSON>", into the step
// and the error's code.
func tutorialFailure(stderr string) (step string, code int32, err error) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	step, detail, ok := strings.Cut(lines[len(lines)-1], ": ")
	if !ok {
		return "", 0, fmt.Errorf("last stderr line %q is not \"<step>: <error>\"", lines[len(lines)-1])
	}
	var microErr struct {
		Code int32 `json:"code"`
	}
	if err := json.Unmarshal([]byte(detail), &microErr); err != nil {
		return step, 0, fmt.Errorf("error of step %q is not a go-micro error: %w", step, err)
	}
	return step, microErr.Code, nil
}

// TestTutorialUserClient runs the tutorial client's user and auth
// commands, go-micro v2 calls built from the tutorial's user.proto and
// finding the service by name over mDNS, against the real user service:
// the tutorial's user CLI registers and signs in unchanged, never gets a
// password back, sends its token as the tutorial's part 4 clients did, and
// is refused a taken email and a wrong password.
func TestTutorialUserClient(t *testing.T) {
	requireE2E(t)
	bin, err := buildTutorialClient()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	startService(t, t, progUser, userpb.ServiceName, programEnv(
		platform.EnvShutdownTimeout+"="+shutdownTimeout.String(),
		platform.EnvLogLevel+"=info",
		"DATA_DIR="+root,
	))

	const (
		name     = "Ada Lovelace"
		email    = "ada@example.com"
		password = "analytical engine 1843"
		company  = "Babbage & Co"
	)
	// The steps run in order against one service: each sees what the
	// steps before it stored. A step that fails exits 1 and names the
	// call that failed (failStep) and its code; one that succeeds prints
	// want.
	steps := []struct {
		name     string
		args     []string
		want     tutorialUser
		failStep string
		failCode int32
	}{
		{
			name: "create registers and signs in",
			args: []string{"user", name, email, password, company},
			want: tutorialUser{created: true, passwordBytes: 0, valid: true, users: 1},
		},
		{
			name:     "create again with the same email",
			args:     []string{"user", "Another Ada", email, "another password", company},
			failStep: "create user", failCode: 409,
		},
		{
			name:     "create again with the email in capitals",
			args:     []string{"user", "Another Ada", strings.ToUpper(email), "another password", company},
			failStep: "create user", failCode: 409,
		},
		{
			name:     "auth with a wrong password",
			args:     []string{"auth", email, "another password"},
			failStep: "auth", failCode: 401,
		},
		{
			name:     "auth with an unknown email",
			args:     []string{"auth", "babbage@example.com", password},
			failStep: "auth", failCode: 401,
		},
		{
			name: "auth signs in the user created first",
			args: []string{"auth", email, password},
			want: tutorialUser{valid: true, users: 1},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			start := time.Now()
			r, err := execProgram(bin, root, programEnv(), "", cliTimeout, step.args...)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s ran in %s", tutorialClient, time.Since(start).Round(time.Millisecond))
			if step.failStep != "" {
				if r.code != 1 || r.stdout != "" {
					t.Fatalf("want exit 1 and no output, got %v", r)
				}
				gotStep, gotCode, err := tutorialFailure(r.stderr)
				if err != nil {
					t.Fatalf("%v\n%v", err, r)
				}
				if gotStep != step.failStep || gotCode != step.failCode {
					t.Errorf("got step %q failing with code %d, want %q with %d\n%v",
						gotStep, gotCode, step.failStep, step.failCode, r)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("want exit 0, got %v", r)
			}
			got, err := parseTutorialUser(r.stdout, step.want.created)
			if err != nil {
				t.Fatalf("parse stdout: %v\n%v", err, r)
			}
			if step.want.created && got.id == "" {
				t.Errorf("created a user without an id\n%v", r)
			}
			if got.tokenBytes == 0 {
				t.Errorf("signed in with an empty token\n%v", r)
			}
			got.id, got.tokenBytes = "", 0 // checked above: they vary
			if got != step.want {
				t.Errorf("got %+v, want %+v\n%v", got, step.want, r)
			}
		})
	}
}
