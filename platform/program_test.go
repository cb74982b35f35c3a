package platform

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
)

func TestSubcommandUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	vars := []EnvVar{{"SHIPPY_TEST_VAR", "what it does"}}
	err := Subcommand(context.Background(), []string{"--help"}, func(string) string { return "" }, &stdout, &stderr, "shippy-service-test", vars)
	if err == nil || err.Error() != `unexpected argument "--help"` {
		t.Errorf("Subcommand(--help) = %v, want unexpected argument", err)
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
		return Subcommand(context.Background(), []string{"healthcheck"}, getenv, &stdout, io.Discard, "shippy-service-test", nil)
	}
	if err := healthcheck(getenv); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Subcommand(healthcheck) = %v, want an error naming %s", err, addr)
	}
	if err := healthcheck(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), EnvServerAddress) {
		t.Errorf("Subcommand(healthcheck) without an address = %v, want an error naming %s", err, EnvServerAddress)
	}
}
