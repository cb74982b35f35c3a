package platform

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

func TestSubcommandUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	vars := []EnvVar{{"SHIPPY_TEST_VAR", "what it does"}}
	err := subcommand(context.Background(), []string{"--help"}, func(string) string { return "" }, &stdout, &stderr, "shippy-service-test", vars)
	if err == nil || err.Error() != `unexpected argument "--help"` {
		t.Errorf("subcommand(--help) = %v, want unexpected argument", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	usage := stderr.String()
	for _, want := range []string{"usage: shippy-service-test [healthcheck]\n", "  SHIPPY_TEST_VAR         what it does\n", "  " + EnvRegistry + " "} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage %q does not contain %q", usage, want)
		}
	}
	if strings.Index(usage, "SHIPPY_TEST_VAR") > strings.Index(usage, EnvRegistry) {
		t.Errorf("usage lists the platform's variables before the service's:\n%s", usage)
	}
}

// TestSubcommandHealthcheck checks that "healthcheck" asks the health
// endpoint at MICRO_SERVER_ADDRESS instead of starting the service: with
// nothing listening there it fails, naming the address it asked.
func TestSubcommandHealthcheck(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	getenv := func(k string) string {
		return map[string]string{EnvServerAddress: addr}[k]
	}
	healthcheck := func(getenv func(string) string) error {
		var stdout bytes.Buffer
		return subcommand(context.Background(), []string{"healthcheck"}, getenv, &stdout, io.Discard, "shippy-service-test", nil)
	}
	if err := healthcheck(getenv); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("subcommand(healthcheck) = %v, want an error naming %s", err, addr)
	}
	if err := healthcheck(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), EnvServerAddress) {
		t.Errorf("subcommand(healthcheck) without an address = %v, want an error naming %s", err, EnvServerAddress)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	load := func(getenv func(string) string) (string, error) {
		if v := getenv("SHIPPY_TEST_VAR"); v != "ok" {
			return "", fmt.Errorf("SHIPPY_TEST_VAR: %q is not ok", v)
		}
		return "config", nil
	}
	var served string
	serve := func(_ context.Context, cfg string, stdout io.Writer) error {
		served = cfg
		fmt.Fprint(stdout, "served")
		return nil
	}
	run := func(args []string, vars map[string]string) (stdout, stderr string, err error) {
		var out, errOut bytes.Buffer
		err = Run(context.Background(), args, func(k string) string { return vars[k] }, &out, &errOut, "shippy-service-test", nil, load, serve)
		return out.String(), errOut.String(), err
	}

	if stdout, _, err := run(nil, map[string]string{"SHIPPY_TEST_VAR": "ok"}); err != nil || served != "config" || stdout != "served" {
		t.Errorf("Run = %v, served %q writing %q; want nil, the configuration served, its output", err, served, stdout)
	}
	served = ""
	if stdout, stderr, err := run(nil, nil); err == nil || err.Error() != `config: SHIPPY_TEST_VAR: "" is not ok` || served != "" || stdout+stderr != "" {
		t.Errorf("Run with a bad configuration = %v, served %q, wrote %q; want the config error, nothing served or written", err, served, stdout+stderr)
	}
	if _, stderr, err := run([]string{"serve"}, map[string]string{"SHIPPY_TEST_VAR": "ok"}); err == nil || served != "" || !strings.Contains(stderr, "usage: shippy-service-test") {
		t.Errorf("Run(serve) = %v, served %q, stderr %q; want an error and the usage, nothing served", err, served, stderr)
	}
}
