package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// envCLIBench names the directory of built programs (make build's bin/)
// that TestCLIWallTime measures; unset, it skips.
const envCLIBench = "SHIPPY_BENCH_CLI_BIN"

// TestCLIWallTime starts the stack over mDNS and logs the wall times of
// cliRuns CLI creates against it. It is a measurement, not a check: it
// runs only with envCLIBench set, in a network namespace made by hand:
//
//	go test -c -o /tmp/shippy-bench.test ./bench/cmd/shippy-bench
//	SHIPPY_BENCH_CLI_BIN=$PWD/bin SHIPPY_NETNS=1 unshare --net --map-root-user -- \
//	  sh -c 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo &&
//	  exec /tmp/shippy-bench.test -test.run TestCLIWallTime -test.v'
func TestCLIWallTime(t *testing.T) {
	binDir := os.Getenv(envCLIBench)
	if binDir == "" {
		t.Skipf("a measurement: set %s to the built programs' directory to run it", envCLIBench)
	}
	netns.Require(t)
	runDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(runDir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: config{binDir: binDir}, getenv: os.Getenv, stderr: &testenv.SyncBuffer{}, runDir: runDir, report: &report.Report{}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reg, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.startStack(ctx, reg, runDir, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	times, err := b.measureCLI(ctx, cliRuns, st.customer.token)
	if err = errors.Join(err, st.stop()); err != nil {
		t.Fatal(err)
	}
	t.Logf("CLI create, exec to exit, %d runs: median %s, p90 %s, max %s; all: %v", len(times), times.Median(), times.P90(), times.Max(), times)
}
