package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/bench/report"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// probeInterval separates the overlapping lookups that time a start.
const probeInterval = 5 * time.Millisecond

// measureStarts starts the vessel service cfg.starts times and times each
// start to discoverable.
func (b *bench) measureStarts(ctx context.Context) error {
	for i := range b.cfg.starts {
		t, err := b.startOnce(ctx, i)
		if err != nil {
			return err
		}
		b.logf("start %d/%d: answering %s after exec, found %s", i+1, b.cfg.starts, report.Millis(t.Registered), report.Millis(t.Found))
		b.report.Starts = append(b.report.Starts, t)
	}
	return nil
}

// startOnce starts the vessel service on a fresh data directory (the
// built-in fleet), measures when it is discoverable through a fresh
// registry, and stops it.
func (b *bench) startOnce(ctx context.Context, i int) (discovery.Times, error) {
	reg, err := newRegistry()
	if err != nil {
		return discovery.Times{}, err
	}
	addr, err := freeAddress()
	if err != nil {
		return discovery.Times{}, err
	}
	log, err := os.Create(b.logFile(fmt.Sprintf("start-%02d", i+1)))
	if err != nil {
		return discovery.Times{}, err
	}
	defer log.Close()
	env := serviceEnv(b.getenv, addr, filepath.Join(b.runDir, "starts", fmt.Sprint(i+1)))

	since := time.Now()
	p, err := proc.Start(b.bin(progVessel), env, log)
	if err != nil {
		return discovery.Times{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	t, err := discovery.Probe(pctx, reg, vesselpb.ServiceName, addr, since, probeInterval, p.Exited())
	if err != nil {
		err = fmt.Errorf("%w (log %s)", err, log.Name())
	}
	return t, errors.Join(err, p.Stop(shutdownTimeout+stopGrace))
}
