package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// consignmentJSON is a consignment as the CLI prints it with --json: the
// proto's snake_case names, every field present.
type consignmentJSON struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Weight      int32           `json:"weight"`
	Containers  []containerJSON `json:"containers"`
	VesselID    string          `json:"vessel_id"`
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

// input is c as the CLI's input file: fields left empty are left out, and
// vessel_id, the service's, is never sent.
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

// list returns every consignment, through `--json list`.
func (st *stack) list(t *testing.T) []consignmentJSON {
	t.Helper()
	r := st.cli(t, "--json", "list")
	return decodeLine[[]consignmentJSON](t, jsonLines(t, r, 1)[0])
}

// create creates the consignment in file with `--json create` and returns
// what the CLI printed; it fails t unless the create succeeded.
func (st *stack) create(t *testing.T, file string) consignmentJSON {
	t.Helper()
	r := st.cli(t, "--json", "create", file)
	return decodeLine[consignmentJSON](t, jsonLines(t, r, 1)[0])
}

// room is the room left on one vessel: containers and kilograms.
type room struct {
	containers, weight int32
}

// rooms asks the vessel service directly (ListVessels) for the room left on
// each vessel, by vessel id: what bookings took can be checked exactly.
func (st *stack) rooms(t *testing.T) map[string]room {
	t.Helper()
	cfg, err := platform.LoadConfig(lookupEnv(st.vessel.env))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	vessels := vesselpb.NewVesselService(vesselpb.ServiceName, platform.NewClient(reg))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rsp, err := vessels.ListVessels(ctx, &vesselpb.ListVesselsRequest{})
	if err != nil {
		t.Fatalf("ListVessels: %v", err)
	}
	got := make(map[string]room)
	for _, v := range rsp.GetVessels() {
		got[v.GetId()] = room{v.GetRemainingCapacity(), v.GetRemainingWeight()}
	}
	return got
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
