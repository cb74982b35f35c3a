// Package netns keeps mDNS inside the machine: it runs a test binary again in
// a private network namespace whose only interface is a loopback that carries
// multicast, so discovery works between the processes the tests start and
// never reaches a real network.
//
// Use it from TestMain, and call Require at the top of every test that uses
// mDNS:
//
//	func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }
//
// Main needs unshare (util-linux) and ip (iproute2), and either root or
// unprivileged user namespaces. Where a namespace cannot be made, the tests
// that call Require skip with the reason, except under CI=true, where Main
// fails instead: CI must never skip them.
package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const (
	// EnvInside is set to 1 inside a namespace made by Main (or by a
	// wrapper script that did the same set-up).
	EnvInside = "SHIPPY_NETNS"
	// envUnavailable carries the reason no namespace could be made.
	envUnavailable = "SHIPPY_NETNS_UNAVAILABLE"
)

// setup brings the namespace's loopback up with multicast and routes
// multicast through it. Route errors are ignored: the routes may exist.
const setup = `set -e
ip link set lo up
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo 2>/dev/null || true
ip -6 route add ff00::/8 dev lo table local 2>/dev/null || true
exec "$@"`

// Main runs m inside a private network namespace and returns the exit code
// for os.Exit. Inside the namespace it simply runs m.
func Main(m interface{ Run() int }) int {
	if Inside() {
		return m.Run()
	}
	if err := probe(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "netns: cannot make a network namespace for the mDNS tests (CI must run them): %v\n", err)
			return 1
		}
		os.Setenv(envUnavailable, err.Error())
		return m.Run()
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "netns: %v\n", err)
		return 1
	}
	cmd := Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "netns: %v\n", err)
		return 1
	}
	return 0
}

// Inside reports whether this process runs in a namespace Main made.
func Inside() bool { return os.Getenv(EnvInside) == "1" }

// Command returns a command that runs name with args in a new private network
// and process namespace (everything it starts dies with it).
func Command(name string, args ...string) *exec.Cmd {
	argv := append([]string{
		"--net", "--pid", "--mount-proc", "--map-root-user", "--fork", "--kill-child",
		"--", "bash", "-c", setup, "netns", name,
	}, args...)
	cmd := exec.Command("unshare", argv...)
	cmd.Env = append(os.Environ(), EnvInside+"=1")
	return cmd
}

// probe checks that a namespace can be made, and says why not.
func probe() error {
	for _, tool := range []string{"unshare", "ip", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing (apt-get install util-linux iproute2 bash)", tool)
		}
	}
	out, err := Command("true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("unshare: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Require skips t when Main could not make a namespace, and fails it when the
// test binary did not run through Main at all.
func Require(t testing.TB) {
	t.Helper()
	if Inside() {
		return
	}
	if reason := os.Getenv(envUnavailable); reason != "" {
		t.Skipf("mDNS test skipped: no private network namespace can be made here: %s", reason)
	}
	t.Fatal("mDNS test outside a private network namespace: call netns.Main from TestMain")
}
