package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// Environment of TestListing: the built programs' directory (unset, it
// skips) and how many consignments to store (default report.ListingStored).
const (
	envListingBin = "SHIPPY_BENCH_LISTING_BIN"
	envListingN   = "SHIPPY_BENCH_LISTING_N"
)

// TestListing runs the listing measurement alone and logs it. It is a
// measurement, not a check of its times: it runs only with envListingBin
// set, in a network namespace made as for TestCLIWallTime, and fails only
// when the measurement could not run or a walk listed a consignment twice
// or missed one.
func TestListing(t *testing.T) {
	binDir := os.Getenv(envListingBin)
	if binDir == "" {
		t.Skipf("a measurement: set %s to the built programs' directory to run it", envListingBin)
	}
	netns.Require(t)
	n := report.ListingStored
	if v := os.Getenv(envListingN); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envListingN, v)
		}
	}
	runDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(runDir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: config{binDir: binDir, concurrency: 32}, getenv: os.Getenv, stderr: &testenv.SyncBuffer{}, runDir: runDir, report: &report.Report{}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute+time.Duration(n)*listingPerConsignment)
	defer cancel()
	if err := b.measureListing(ctx, n); err != nil {
		t.Fatal(err)
	}
	l := b.report.Listing
	for _, line := range report.ListingLines(l) {
		t.Log(line)
	}
	if l.Err != "" || l.Walk.Duplicates+l.Walk.Missed > 0 {
		t.Errorf("listing: %s; %d listed twice, %d missed", l.Err, l.Walk.Duplicates, l.Walk.Missed)
	}
}
