package platform

import (
	"bytes"
	"context"
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
