package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// consignment is a consignment as the CLI prints it with --json.
type consignment struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Weight      int32  `json:"weight"`
	Containers  []struct {
		CustomerID string `json:"customer_id"`
		Origin     string `json:"origin"`
		UserID     string `json:"user_id"`
	} `json:"containers"`
	VesselID string `json:"vessel_id"`
}

// smallConsignment is a one-container consignment of 10 kg: the built-in
// fleet's vessel takes hundreds of them, where it takes only three of the
// image's consignment.json.
const smallConsignment = `{"description": "e2e: one crate", "weight": 10,
 "containers": [{"customer_id": "cust001", "user_id": "user001", "origin": "Hull"}]}`

// cliResult is how one run of the CLI's container ended.
type cliResult struct {
	args           []string
	stdout, stderr string
	// code is the exit code, -1 when the run did not end by itself.
	code int
	err  error
}

func (r cliResult) String() string {
	return fmt.Sprintf("run %s %s: exit code %d (%v)\nstdout:\n%s\nstderr:\n%s",
		svcCLI, strings.Join(r.args, " "), r.code, r.err, r.stdout, r.stderr)
}

// runCLI runs the CLI's container once with args (none: the image's
// default, which books consignment.json and lists), and stdin (when not "")
// on its standard input.
func (s *stack) runCLI(ctx context.Context, stdin string, args ...string) cliResult {
	argv := append([]string{"run", "--rm", "-T"}, s.runOpts...)
	argv = append(append(argv, svcCLI), args...)
	var in io.Reader
	if stdin != "" {
		in = strings.NewReader(stdin)
	}
	r := cliResult{args: args}
	r.stdout, r.stderr, r.err = s.compose(ctx, in, argv...)
	if r.err != nil {
		r.code = exitCode(r.err)
	}
	return r
}

// cli runs the CLI's container with args and fails t unless it exits 0.
func (s *stack) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	r := s.runCLI(ctx, "", args...)
	if r.code != 0 {
		t.Fatalf("the CLI failed: %v", r)
	}
	return r
}

// The account the CLI's container signs in with.
const (
	customerEmail    = "ada@example.com"
	customerPassword = "correct horse battery staple"
)

// signIn registers the customer and logs in with the CLI's container, as
// the README does, the password on standard input: login stores the token
// in the CLI's config volume, where every later run finds it.
func (s *stack) signIn(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	for _, args := range [][]string{
		{"user", "create", "--name", "Ada", "--email", customerEmail},
		{"login", "--email", customerEmail},
	} {
		if r := s.runCLI(ctx, customerPassword+"\n", args...); r.code != 0 {
			t.Fatalf("the CLI failed: %v", r)
		}
	}
}

// bookedRE matches the line the CLI prints for a created consignment.
var bookedRE = regexp.MustCompile(`(?m)^Created consignment (\S+): .*, booked on vessel (\S+)$`)

// book runs the CLI's container without arguments, as the README does: it
// books the image's consignment.json and lists. It returns the id of the
// new consignment and checks that it was booked on vessel.
func (s *stack) book(t *testing.T, vessel string) string {
	t.Helper()
	r := s.cli(t)
	m := bookedRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no %q line in the CLI's output: %v", bookedRE, r)
	}
	if got := m[2]; got != vessel {
		t.Errorf("booked on vessel %q, want %q", got, vessel)
	}
	if !strings.Contains(r.stdout, m[1]) {
		t.Errorf("the list does not show %s: %v", m[1], r)
	}
	return m[1]
}

// exitNoRoom is the CLI's exit code when no vessel has room.
const exitNoRoom = 4

// requireFull fails t unless a create of consignment.json is refused
// because no vessel has room for it.
func (s *stack) requireFull(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	if r := s.runCLI(ctx, "", "create"); r.code != exitNoRoom || !strings.Contains(r.stderr, "no vessel has room") {
		t.Errorf("want exit code %d, no vessel has room; got %v", exitNoRoom, r)
	}
}

// list returns every consignment, from `--json list`.
func (s *stack) list(t *testing.T) []consignment {
	t.Helper()
	r := s.cli(t, "--json", "list")
	var cs []consignment
	if err := json.Unmarshal([]byte(lastLines(r.stdout, 1)), &cs); err != nil {
		t.Fatalf("decode the list: %v\n%v", err, r)
	}
	return cs
}

// requireListed fails t unless the list holds every id in ids.
func (s *stack) requireListed(t *testing.T, ids ...string) []consignment {
	t.Helper()
	cs := s.list(t)
	var listed []string
	for _, c := range cs {
		listed = append(listed, c.ID)
	}
	for _, id := range ids {
		if !slices.Contains(listed, id) {
			t.Errorf("consignment %s is not listed; listed: %v", id, listed)
		}
	}
	return cs
}
