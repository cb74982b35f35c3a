package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/platform"
)

// TestServicesRefuseBadConfig starts each service with a configuration it
// cannot work with: it must exit non-zero at once, before it registers, with
// one line on stderr that names the variable at fault.
func TestServicesRefuseBadConfig(t *testing.T) {
	requireE2E(t)
	dir := t.TempDir()
	fleet := func(name, content string) string { return "VESSELS_FILE=" + writeFile(t, dir, name, content) }
	tests := []struct {
		name string
		prog string
		env  []string
		want []string
	}{
		{"missing fleet file", progVessel,
			[]string{"VESSELS_FILE=" + filepath.Join(dir, "no-such-fleet.json")},
			[]string{"VESSELS_FILE", "no-such-fleet.json"}},
		{"fleet file is a directory", progVessel,
			[]string{"VESSELS_FILE=" + dir},
			[]string{"VESSELS_FILE"}},
		{"fleet file is not JSON", progVessel,
			[]string{fleet("broken.json", `[{"id": "v1", "capacity": 10,`)},
			[]string{"VESSELS_FILE", "broken.json"}},
		{"fleet file is not an array", progVessel,
			[]string{fleet("object.json", `{"id": "v1", "capacity": 10, "max_weight": 100}`)},
			[]string{"VESSELS_FILE", "object.json"}},
		{"fleet vessel with an unknown field", progVessel,
			[]string{fleet("unknown.json", `[{"id": "v1", "capacity": 10, "max_weight": 100, "colour": "red"}]`)},
			[]string{"VESSELS_FILE", "unknown.json", "colour"}},
		{"fleet vessel without capacity", progVessel,
			[]string{fleet("capacity.json", `[{"id": "v1", "capacity": 0, "max_weight": 100}]`)},
			[]string{"VESSELS_FILE", "capacity.json", "capacity"}},
		{"fleet vessel with a negative max_weight", progVessel,
			[]string{fleet("weight.json", `[{"id": "v1", "capacity": 10, "max_weight": -1}]`)},
			[]string{"VESSELS_FILE", "weight.json", "max_weight"}},
		{"fleet with a duplicate id", progVessel,
			[]string{fleet("dup.json", `[{"id": "v1", "capacity": 1, "max_weight": 1}, {"id": "v1", "capacity": 2, "max_weight": 2}]`)},
			[]string{"VESSELS_FILE", "dup.json", "v1"}},
		{"vessel service with a bad SHUTDOWN_TIMEOUT", progVessel,
			[]string{platform.EnvShutdownTimeout + "=soon"},
			[]string{platform.EnvShutdownTimeout}},
		{"consignment service with a bad SHUTDOWN_TIMEOUT", progConsignment,
			[]string{platform.EnvShutdownTimeout + "=soon"},
			[]string{platform.EnvShutdownTimeout}},
		{"consignment service with an unknown registry", progConsignment,
			[]string{platform.EnvRegistry + "=zookeeper"},
			[]string{platform.EnvRegistry}},
		{"consignment service with a bad VESSEL_TIMEOUT", progConsignment,
			[]string{"VESSEL_TIMEOUT=soon"},
			[]string{"VESSEL_TIMEOUT"}},
		{"user service with a bad TOKEN_TTL", progUser,
			[]string{envTokenTTL + "=soon"},
			[]string{envTokenTTL, "soon"}},
		{"user service with a TOKEN_TTL over a day", progUser,
			[]string{envTokenTTL + "=25h"},
			[]string{envTokenTTL}},
		{"user service with a missing AUTH_PRIVATE_KEY_FILE", progUser,
			[]string{envPrivateKeyFile + "=" + filepath.Join(dir, "no-such-key.pem")},
			[]string{envPrivateKeyFile, "no-such-key.pem"}},
		{"user service with a key file that is no key", progUser,
			[]string{envPrivateKeyFile + "=" + writeFile(t, dir, "not-a-key.pem", "not a key")},
			[]string{envPrivateKeyFile, "not-a-key.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := programEnv(append([]string{"DATA_DIR=" + t.TempDir()}, tt.env...)...)
			r, err := execProgram(binary(t, tt.prog), dir, env, "", startTimeout)
			if err != nil {
				t.Fatalf("%v (a service with a bad configuration must exit at once)", err)
			}
			if r.code == 0 {
				t.Errorf("exit code: got 0, want non-zero\n%v", r)
			}
			if _, ok := startedLine(r.stdout); ok {
				t.Errorf("the service started before refusing its configuration\n%v", r)
			}
			if got := lines(t, r.stderr); len(got) != 1 {
				t.Errorf("stderr: got %d lines, want exactly 1\n%v", len(got), r)
			}
			for _, s := range tt.want {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr: got %q, want it to contain %q", r.stderr, s)
				}
			}
		})
	}
}
