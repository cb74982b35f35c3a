package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests drive run as main does. None reaches mDNS: each fails before
// the registry is used, or names a Consul registry on a closed local port.

// closedAddr returns a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badFile, []byte(`{"weight": "heavy"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// An environment where any registry lookup fails at once.
	consulAddr := closedAddr(t)
	closedConsul := map[string]string{"MICRO_REGISTRY": "consul", "MICRO_REGISTRY_ADDRESS": consulAddr}

	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string // a prefix
		wantStderr string // a prefix of the one line
	}{
		{
			name:       "help",
			args:       []string{"--help"},
			wantCode:   exitOK,
			wantStdout: "Usage:\n  shippy-cli-consignment [flags] [FILE]",
		},
		{
			name:       "unknown flag",
			args:       []string{"list", "--colour"},
			wantCode:   exitUsage,
			wantStderr: "flag provided but not defined: -colour (see shippy-cli-consignment --help)",
		},
		{
			name:       "bad input is reported before any lookup",
			args:       []string{"--json", badFile},
			env:        closedConsul,
			wantCode:   exitBadInput,
			wantStderr: badFile + ": weight: want a whole number, got string",
		},
		{
			name:       "missing file",
			args:       []string{"create", filepath.Join(dir, "none.json")},
			wantCode:   exitBadInput,
			wantStderr: filepath.Join(dir, "none.json") + ": no such file or directory",
		},
		{
			name:       "unknown registry",
			args:       []string{"list"},
			env:        map[string]string{"MICRO_REGISTRY": "zookeeper"},
			wantCode:   exitUsage,
			wantStderr: `MICRO_REGISTRY: "zookeeper" is not supported (want mdns or consul)`,
		},
		{
			name:     "registry down",
			args:     []string{"list"},
			env:      closedConsul,
			wantCode: exitUnreachable,
			wantStderr: "shippy.service.consignment is unreachable: looking it up via MICRO_REGISTRY=consul (" +
				consulAddr + ") failed: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			getenv := func(key string) string { return tt.env[key] }
			err := run(t.Context(), tt.args, getenv, strings.NewReader(""), &stdout, &stderr)
			if got := exitCode(err); got != tt.wantCode {
				t.Errorf("exit code = %d (error %v), want %d", got, err, tt.wantCode)
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to start with %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantCode != exitOK && stdout.Len() > 0 {
				t.Errorf("stdout = %q on failure, want nothing", stdout.String())
			}
			wantStderr := ""
			if err != nil {
				wantStderr = err.Error() + "\n" // what run returns, as one line
			}
			if got := stderr.String(); got != wantStderr || strings.Count(got, "\n") > 1 {
				t.Errorf("stderr = %q, want %q", got, wantStderr)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to start with %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
