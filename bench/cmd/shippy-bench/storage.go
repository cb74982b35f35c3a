package main

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/shippy-suite/shippy/bench/commits"
	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
)

// commitDuration is the length of each storage-ceiling measurement.
const commitDuration = 3 * time.Second

// fsyncSamples is the number of write+fsync pairs measureFsync times.
const fsyncSamples = 200

// measureFsync times writing 4 KiB and fsyncing it in dir, the floor under
// every durable commit of the embedded store there.
func measureFsync(dir string) report.Latency {
	f, err := os.CreateTemp(dir, "fsync-*")
	if err != nil {
		return report.Latency{Err: err.Error()}
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	samples := make([]time.Duration, fsyncSamples)
	for i := range samples {
		start := time.Now()
		if _, err := f.WriteAt(page, int64(i%16)*int64(len(page))); err != nil {
			return report.Latency{Err: err.Error()}
		}
		if err := f.Sync(); err != nil {
			return report.Latency{Err: err.Error()}
		}
		samples[i] = time.Since(start)
	}
	slices.Sort(samples)
	return report.Latency{P50: load.Percentile(samples, 50), P99: load.Percentile(samples, 99)}
}

// measureCommits measures durable bbolt commits in the data directory, one
// transaction per write and batched, with as many writers as callers.
func (b *bench) measureCommits(ctx context.Context) error {
	for _, mode := range []commits.Mode{commits.Update, commits.Batch} {
		b.logf("bbolt commits (%s): %d writers for %s", mode, b.cfg.concurrency, commitDuration)
		opts := load.Options{Concurrency: b.cfg.concurrency, Duration: commitDuration, Timeout: callTimeout}
		res, err := commits.Measure(ctx, b.runDir, mode, opts)
		if err != nil {
			return err
		}
		title := "bbolt, each write its own transaction (DB.Update)"
		if mode == commits.Batch {
			title = "bbolt, group commit (boltdb.Batcher, as the services' stores commit)"
		}
		b.report.Commits = append(b.report.Commits, report.Load{Key: mode.String(), Title: title, Result: res})
	}
	return nil
}
