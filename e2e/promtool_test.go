package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shippy-suite/shippy/platform"
)

// envPromtoolBin names the promtool binary; unset, it is bin/promtool at
// the repository root, which make promtool builds.
const envPromtoolBin = "PROMTOOL_BIN"

// TestMetricsPassPromtool runs promtool check metrics, Prometheus's own
// linter, on the /metrics of every service as the built binaries serve it,
// after one booking, so that the per-call series exist too. It skips when
// promtool is not built, except under CI=true, where it fails.
func TestMetricsPassPromtool(t *testing.T) {
	requireE2E(t)
	promtool := promtoolBinary(t)
	st := startStack(t, "", platform.EnvMetricsAddress+"=127.0.0.1:0")
	file := writeFile(t, st.dir, "c.json", newConsignment("", 3, 55000).input())
	if r := st.cli(t, "create", file); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	for _, s := range []*service{st.user.service, st.vessel, st.consignment} {
		t.Run(s.prog, func(t *testing.T) {
			url := "http://" + loggedMetricsAddress(t, s) + platform.MetricsPath
			rsp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer rsp.Body.Close()
			if rsp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", url, rsp.Status)
			}
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = rsp.Body
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("promtool check metrics on %s: %v\n%s", url, err, out)
			}
		})
	}
}

// promtoolBinary is $PROMTOOL_BIN, or bin/promtool at the repository root.
// Without it, t skips and says how to build it; under CI=true it fails.
func promtoolBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(envPromtoolBin)
	if bin == "" {
		bin = filepath.Join("..", "bin", "promtool")
	}
	bin, err := filepath.Abs(bin)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no promtool (CI must run this test; run make promtool): %v", err)
	}
	t.Skipf("no promtool: run make promtool (or set %s): %v", envPromtoolBin, err)
	return ""
}
