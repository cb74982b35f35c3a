package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
)

// Settings of the load measurements.
const (
	// callTimeout bounds one call of a load (and one storage-ceiling write).
	callTimeout = 5 * time.Second
	// idleSettle is how long the services sit idle after start before
	// their idle memory is read.
	idleSettle = 2 * time.Second
)

// loadOrder lists the load measurements in the order they run. The
// end-to-end loads run last so the memory read after them is "after load".
var loadOrder = []struct{ key, title string }{
	{report.LoadBaseline, "baseline: plain gRPC client and server, no-op"},
	{report.LoadMicroNoop, "go-micro client and server, no-op handler"},
	{report.LoadMicroServerNoop, "plain gRPC client, go-micro server, no-op handler"},
	{report.LoadVesselPlain, "vessel FindAvailable, plain gRPC client"},
	{report.LoadVesselMicro, "vessel FindAvailable, go-micro client (one hop)"},
	{report.LoadE2EPlain, "CreateConsignment end to end, plain gRPC client"},
	{report.LoadE2E, "CreateConsignment end to end, go-micro client"},
}

// loadKeys are the keys of every load measurement: loadOrder's, then the
// end-to-end run on a tmpfs, which needs services of its own.
func loadKeys() []string {
	keys := make([]string, 0, len(loadOrder)+1)
	for _, l := range loadOrder {
		keys = append(keys, l.key)
	}
	return append(keys, report.LoadE2ETmpfs)
}

// measureLoads starts the services and the baselines, runs the loads of
// loadOrder that were asked for, reads the services' memory idle and after
// the load, and then times CLI creates against them (see measureCLI).
func (b *bench) measureLoads(ctx context.Context) (err error) {
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	pprofAddrs := make(map[string]string)
	st, err := b.startStack(ctx, reg, b.runDir, "", pprofAddrs, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.stop()) }()

	b.logf("services discoverable; idle for %s", idleSettle)
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return ctx.Err()
	}
	idle, err := readMemory(st.services())
	if err != nil {
		return err
	}
	if err := b.describeAuth(ctx, reg); err != nil {
		return err
	}

	calls, stop, err := b.newCalls(ctx, reg, st)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
	var keys []string
	for _, l := range loadOrder {
		if slices.Contains(b.cfg.loads, l.key) {
			keys = append(keys, l.key)
		}
	}
	results, err := b.measureRounds(ctx, keys, calls, pprofAddrs)
	if err != nil {
		return err
	}
	for _, l := range loadOrder {
		if res, ok := results[l.key]; ok {
			b.report.Loads = append(b.report.Loads, report.Load{Key: l.key, Title: l.title, Result: res})
		}
	}
	loaded, err := readMemory(st.services())
	if err != nil {
		return err
	}
	for i, s := range st.services() {
		m := report.ServiceMemory{Service: s.Name(), Idle: idle[i], Loaded: loaded[i]}
		if s == st.user {
			m.Note = "takes no call during the loads (the other services verify tokens with its public keys, " +
				"from the registry), so its figures after the load are those of a service that has signed one customer in"
		}
		b.report.Memory = append(b.report.Memory, m)
	}
	if b.cfg.cliRuns > 0 {
		b.logf("CLI create: %d runs", b.cfg.cliRuns)
		if b.report.CLI, err = b.measureCLI(ctx, b.cfg.cliRuns, st.customer.token); err != nil {
			return fmt.Errorf("CLI create: %w", err)
		}
	}
	return nil
}

// callMaker makes the call of one load for one phase ("warmup" or
// "measure"), so calls that create things can give them ids unique across
// phases.
type callMaker func(phase string) load.Call

// warmUp runs key's calls for the warm-up, unmeasured: connections are
// made, registry caches filled and the services' heaps grown first.
func (b *bench) warmUp(ctx context.Context, key string, newCall callMaker) error {
	if b.cfg.warmup <= 0 {
		return nil
	}
	b.logf("%s: warm-up %s", key, b.cfg.warmup)
	opts := load.Options{Concurrency: b.cfg.concurrency, Duration: b.cfg.warmup, Timeout: callTimeout}
	_, err := load.Run(ctx, opts, newCall("warmup"))
	return err
}

// measure runs key's calls for d. With a profile directory, it writes CPU
// profiles of the measurement there: the bench's own, and those of the
// services serving pprof at pprofAddrs (by program name).
func (b *bench) measure(ctx context.Context, key string, call load.Call, d time.Duration, pprofAddrs map[string]string) (load.Result, error) {
	opts := load.Options{Concurrency: b.cfg.concurrency, Duration: d, Timeout: callTimeout}
	b.logf("%s: %d callers for %s", key, opts.Concurrency, opts.Duration)
	if b.cfg.profileDir != "" {
		path := filepath.Join(b.cfg.profileDir, "shippy-bench-"+key+".pprof")
		f, err := os.Create(path)
		if err != nil {
			return load.Result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return load.Result{}, err
		}
		defer pprof.StopCPUProfile()
		b.report.Profiles = append(b.report.Profiles, path)
		services := b.profileServices(ctx, key, d, pprofAddrs)
		defer func() { b.report.Profiles = append(b.report.Profiles, services()...) }()
	}
	return load.Run(ctx, opts, call)
}

// rounds is how many rounds the loads are measured in: one when profiling,
// so that each profile covers one load only.
func (b *bench) rounds() int {
	if b.cfg.profileDir != "" {
		return 1
	}
	return b.cfg.rounds
}

// measureRounds warms up every load of loads, then measures them in
// rounds, one after another in each round, so that a disturbance from
// outside (this machine is shared) falls on all of them alike; each load
// gets cfg.duration in all.
func (b *bench) measureRounds(ctx context.Context, loads []string, calls map[string]callMaker, pprofAddrs map[string]string) (map[string]load.Result, error) {
	for _, key := range loads {
		if err := b.warmUp(ctx, key, calls[key]); err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", key, err)
		}
	}
	rounds := b.rounds()
	parts := make(map[string][]load.Result)
	for round := range rounds {
		if rounds > 1 {
			b.logf("round %d of %d", round+1, rounds)
		}
		for _, key := range loads {
			res, err := b.measure(ctx, key, calls[key](fmt.Sprint("r", round)), b.cfg.duration/time.Duration(rounds), pprofAddrs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			parts[key] = append(parts[key], res)
		}
	}
	results := make(map[string]load.Result)
	for _, key := range loads {
		res := load.Merge(parts[key]...)
		if res.Calls == 0 {
			return nil, fmt.Errorf("%s: no call succeeded: %s", key, res.ErrorSummary())
		}
		results[key] = res
	}
	return results, nil
}

// describeAuth finds out which services check tokens (checkers) and says in
// the report's setup how the calls are authenticated.
func (b *bench) describeAuth(ctx context.Context, reg registry.Registry) error {
	ctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	consignmentChecks, vesselChecks, err := checkers(ctx, platform.NewClient(reg))
	if err != nil {
		return err
	}
	b.logf("token checks: consignment service %t, vessel service %t", consignmentChecks, vesselChecks)
	b.report.Setup.Auth = authDescription(consignmentChecks, vesselChecks)
	return nil
}
