package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Exit codes of the CLI (see shippy-cli-consignment --help).
const (
	exitOK          = 0
	exitUsage       = 2
	exitBadInput    = 3
	exitNoRoom      = 4
	exitUnreachable = 5
	exitAuth        = 7
)

// The environment the CLI reads its token from: SHIPPY_TOKEN, else the
// file login stores under XDG_CONFIG_HOME (envConfigHome/shippy/token).
const (
	envToken      = "SHIPPY_TOKEN"
	envConfigHome = "XDG_CONFIG_HOME"
)

// cliTimeout bounds one run of the CLI, well above its own --timeout.
const cliTimeout = 60 * time.Second

// cli runs the CLI in the stack's directory as the stack's customer:
// SHIPPY_TOKEN is st.token, and XDG_CONFIG_HOME st.configHome, which holds
// no token.
func (st *stack) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return st.cliWith(t, nil, "", args...)
}

// cliWith is cli with env ("KEY=value" each) after the stack's, where it
// may set SHIPPY_TOKEN or XDG_CONFIG_HOME to something else, and stdin as
// the CLI's standard input.
func (st *stack) cliWith(t *testing.T, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	return runCLI(t, st.dir, append(st.cliEnv(), env...), stdin, args...)
}

// cliEnv is the environment st.cli adds to programEnv's.
func (st *stack) cliEnv() []string {
	return []string{envToken + "=" + st.token, envConfigHome + "=" + st.configHome}
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
// programEnv's and stdin as its standard input (empty: none), and fails t
// when it cannot be run or does not finish within cliTimeout.
func runCLI(t *testing.T, dir string, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	r, err := execProgram(binary(t, progCLI), dir, programEnv(env...), stdin, cliTimeout, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// execCLI is runCLI for any goroutine: it returns its failure.
func execCLI(bin, dir string, env []string, args ...string) (cliResult, error) {
	return execProgram(bin, dir, programEnv(env...), "", cliTimeout, args...)
}

// execProgram runs bin with args in dir with env and stdin as its standard
// input (empty: none), and waits at most timeout for it to exit.
func execProgram(bin, dir string, env []string, stdin string, timeout time.Duration, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
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

// consignmentJSON is a consignment as the CLI prints it with --json: the
// proto's snake_case names, every field present.
type consignmentJSON struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Weight      int32           `json:"weight"`
	Containers  []containerJSON `json:"containers"`
	VesselID    string          `json:"vessel_id"`
	OwnerID     string          `json:"owner_id"`
}

type containerJSON struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Origin     string `json:"origin"`
	UserID     string `json:"user_id"`
}

// newConsignment returns a valid consignment of n containers weighing
// weight kg in total, with the id (empty: none).
func newConsignment(id string, n int, weight int32) consignmentJSON {
	c := consignmentJSON{ID: id, Description: fmt.Sprintf("e2e: %d containers", n), Weight: weight}
	for i := range n {
		c.Containers = append(c.Containers, containerJSON{
			CustomerID: fmt.Sprintf("cust%03d", i+1),
			Origin:     fmt.Sprintf("Port %d", i+1),
			UserID:     "user001",
		})
	}
	return c
}

// shippedConsignment reads the consignment.json the CLI ships with (its
// default input): its absolute path, its bytes, and what it holds.
func shippedConsignment(t *testing.T) (path string, data []byte, c consignmentJSON) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", progCLI, "consignment.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("shipped consignment.json: %v", err)
	}
	return path, data, c
}

// input is c as the CLI's input file: fields left empty are left out, and
// vessel_id and owner_id, the service's, are never sent.
func (c consignmentJSON) input() string {
	type container struct {
		ID         string `json:"id,omitempty"`
		CustomerID string `json:"customer_id,omitempty"`
		Origin     string `json:"origin,omitempty"`
		UserID     string `json:"user_id,omitempty"`
	}
	in := struct {
		ID          string      `json:"id,omitempty"`
		Description string      `json:"description,omitempty"`
		Weight      int32       `json:"weight"`
		Containers  []container `json:"containers"`
	}{ID: c.ID, Description: c.Description, Weight: c.Weight, Containers: []container{}}
	for _, ct := range c.Containers {
		in.Containers = append(in.Containers, container(ct))
	}
	data, err := json.Marshal(in)
	if err != nil {
		panic(err) // cannot happen: plain strings and numbers
	}
	return string(data)
}

// decodeLine decodes line, one line of the CLI's --json output, strictly:
// one JSON value of T's shape, no unknown field (so a camelCase name or a
// missing vessel_id shows), nothing after it.
func decodeLine[T any](t *testing.T, line string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q as %T: %v", line, v, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("decode %q as %T: data after the value", line, v)
	}
	return v
}

// lines splits out, a command's output, into its lines; it fails t unless
// out ends in a newline.
func lines(t *testing.T, out string) []string {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output %q does not end in a newline", out)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// jsonLines checks that r succeeded with exactly want lines on stdout and
// nothing on stderr, and returns the lines.
func jsonLines(t *testing.T, r cliResult, want int) []string {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("want exit 0 and no stderr, got %v", r)
	}
	got := lines(t, r.stdout)
	if len(got) != want {
		t.Fatalf("want %d line(s) of JSON on stdout, got %d: %v", want, len(got), r)
	}
	return got
}

// list returns the consignments of the stack's customer, through `--json
// list`.
func (st *stack) list(t *testing.T) []consignmentJSON {
	t.Helper()
	return st.listAs(t, st.token)
}

// create creates the consignment in file as the stack's customer with
// `--json create` and returns what the CLI printed; it fails t unless the
// create succeeded.
func (st *stack) create(t *testing.T, file string) consignmentJSON {
	t.Helper()
	return st.createAs(t, st.token, file)
}

// cliAs is st.cli with SHIPPY_TOKEN set to token, ("" for none) rather
// than the stack customer's.
func (st *stack) cliAs(t *testing.T, token string, args ...string) cliResult {
	t.Helper()
	return st.cliWith(t, []string{envToken + "=" + token}, "", args...)
}

// listAs returns the consignments `--json list` shows the holder of token.
func (st *stack) listAs(t *testing.T, token string) []consignmentJSON {
	t.Helper()
	return decodeLine[[]consignmentJSON](t, jsonLines(t, st.cliAs(t, token, "--json", "list"), 1)[0])
}

// createAs creates the consignment in file as the holder of token with
// `--json create`, and returns what the CLI printed; it fails t unless the
// create succeeded.
func (st *stack) createAs(t *testing.T, token, file string) consignmentJSON {
	t.Helper()
	return decodeLine[consignmentJSON](t, jsonLines(t, st.cliAs(t, token, "--json", "create", file), 1)[0])
}

// booked returns in as the stack's customer's booking of it on vesselID:
// what the CLI prints for it after a create.
func (st *stack) booked(in consignmentJSON, vesselID string) consignmentJSON {
	in.VesselID, in.OwnerID = vesselID, st.userID
	return in
}

// wantListedAlone fails t unless the stack's customer lists exactly one
// consignment: want, with an id the service gave it, booked by them on
// vessel vesselID. It returns what it listed.
func (st *stack) wantListedAlone(t *testing.T, want consignmentJSON, vesselID string) consignmentJSON {
	t.Helper()
	got := st.list(t)
	if len(got) != 1 {
		t.Fatalf("--json list: got %d consignments, want 1: %+v", len(got), got)
	}
	want = st.booked(want, vesselID)
	want.ID = got[0].ID
	if got[0].ID == "" || !reflect.DeepEqual(got[0], want) {
		t.Errorf("--json list:\n got %+v\nwant %+v (with an id)", got[0], want)
	}
	return got[0]
}

// wantFailure checks that r failed with exit code code, printed nothing on
// stdout and exactly one line on stderr that contains every string in
// want.
func wantFailure(t *testing.T, r cliResult, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code: got %d, want %d\n%v", r.code, code, r)
	}
	if r.stdout != "" {
		t.Errorf("stdout: got %q, want nothing\n%v", r.stdout, r)
	}
	if got := lines(t, r.stderr); len(got) != 1 {
		t.Errorf("stderr: got %d lines, want exactly 1\n%v", len(got), r)
	}
	for _, s := range want {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr: got %q, want it to contain %q", r.stderr, s)
		}
	}
}

// ids returns the ids of cs in order.
func ids(cs []consignmentJSON) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
