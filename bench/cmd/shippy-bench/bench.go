package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"google.golang.org/grpc"

	"github.com/shippy-suite/shippy/bench/baseline"
	"github.com/shippy-suite/shippy/bench/commits"
	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// Measurement settings.
const (
	// callTimeout bounds one call of a load.
	callTimeout = 5 * time.Second
	// idleSettle is how long the services sit idle after start before
	// their idle memory is read.
	idleSettle = 2 * time.Second
	// probeInterval separates the overlapping lookups that time a start.
	probeInterval = 5 * time.Millisecond
	// commitDuration is the length of each storage-ceiling measurement.
	commitDuration = 3 * time.Second
	// microNoopName is the registry name of the go-micro baseline.
	microNoopName = "shippy.bench.noop"
)

// loadOrder lists the load measurements in the order they run. The
// end-to-end load runs last so the memory read after it is "after load".
var loadOrder = []struct{ key, title string }{
	{report.LoadBaseline, "baseline: plain gRPC client and server, no-op"},
	{report.LoadMicroNoop, "go-micro client and server, no-op handler"},
	{report.LoadMicroServerNoop, "plain gRPC client, go-micro server, no-op handler"},
	{report.LoadVesselPlain, "vessel FindAvailable, plain gRPC client"},
	{report.LoadVesselMicro, "vessel FindAvailable, go-micro client (one hop)"},
	{report.LoadE2E, "CreateConsignment end to end"},
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

// bench is one run inside the network namespace.
type bench struct {
	cfg    config
	getenv func(string) string
	stderr io.Writer
	// runDir holds the services' data directories and logs; it is removed
	// after a run that succeeded.
	runDir string
	report *report.Report
}

// logf reports progress on stderr.
func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.stderr, "bench: "+format+"\n", a...)
}

func (b *bench) bin(prog string) string { return filepath.Join(b.cfg.binDir, prog) }

func (b *bench) logFile(name string) string { return filepath.Join(b.runDir, "logs", name+".log") }

// benchmark measures everything, prints the text report to stdout and
// writes the Markdown report to cfg.out.
func benchmark(ctx context.Context, cfg config, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	for _, prog := range []string{progVessel, progConsignment} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, prog)); err != nil {
			return fmt.Errorf("%w (run make build first, or point -bin at the built programs)", err)
		}
	}
	b := &bench{
		cfg:    cfg,
		getenv: getenv,
		stderr: stderr,
		runDir: filepath.Join(cfg.dataDir, "run"),
		report: &report.Report{
			Machine: machineNotes(),
			Setup: report.Setup{
				Concurrency: cfg.concurrency,
				Duration:    cfg.duration,
				Warmup:      cfg.warmup,
				Store: "embedded bbolt (the default), one file per service under DATA_DIR, durable: " +
					"every commit is fsynced before the call is answered",
				Fleet:         fleetDescription(),
				Network:       "127.0.0.1 in a private network namespace, mDNS discovery",
				LookupTimeout: platform.MDNSTimeout,
			},
		},
	}
	b.report.Setup.Rounds = b.rounds()
	if err := os.RemoveAll(b.runDir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.runDir, "logs"), 0o755); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			b.logf("data and service logs kept in %s", b.runDir)
			return
		}
		err = os.RemoveAll(b.runDir)
	}()
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
	}

	b.logf("fsync latency in %s", b.runDir)
	b.report.Fsync = measureFsync(b.runDir)
	if err := b.measureCommits(ctx); err != nil {
		return fmt.Errorf("storage ceiling: %w", err)
	}
	if err := b.measureStarts(ctx); err != nil {
		return fmt.Errorf("start to discoverable: %w", err)
	}
	if err := b.measureLoads(ctx); err != nil {
		return err
	}
	if cfg.tmpfs != "" && slices.Contains(cfg.loads, report.LoadE2ETmpfs) {
		if err := b.measureTmpfs(ctx); err != nil {
			return err
		}
	}
	b.report.Images = imageSizes(ctx, cfg.images)
	b.report.Machine.LoadAfter = loadAverage()
	if cfg.findings != "" {
		if data, err := os.ReadFile(cfg.findings); err == nil {
			b.report.Findings = string(data)
		} else {
			b.logf("no findings copied: %v", err)
		}
	}

	if err := report.WriteText(stdout, b.report); err != nil {
		return err
	}
	if cfg.out != "" {
		if err := writeFileAtomic(cfg.out, func(w io.Writer) error { return report.WriteMarkdown(w, b.report) }); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		b.logf("wrote %s", cfg.out)
	}
	return nil
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

// measureLoads starts both services and the baselines, runs the loads of
// loadOrder that were asked for, and reads the services' memory idle and
// after the load.
func (b *bench) measureLoads(ctx context.Context) (err error) {
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	pprofAddrs := make(map[string]string)
	st, err := b.startStack(ctx, reg, b.runDir, "", pprofAddrs)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.stop()) }()

	b.logf("services discoverable; idle for %s", idleSettle)
	if err := sleep(ctx, idleSettle); err != nil {
		return err
	}
	idle, err := readMemory(st.services())
	if err != nil {
		return err
	}

	calls, stop, err := b.newCalls(ctx, reg, st.vessel.addr)
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
		b.report.Memory = append(b.report.Memory, report.ServiceMemory{Service: s.Name(), Idle: idle[i], Loaded: loaded[i]})
	}
	return nil
}

// measureTmpfs runs the end-to-end load once more on services whose data
// directories are on a tmpfs, where fsync costs nothing: the difference to
// the durable run is what the disk costs. It needs the main stack stopped
// (one instance of each service in the registry).
func (b *bench) measureTmpfs(ctx context.Context) (err error) {
	if ok, why := isTmpfs(b.cfg.tmpfs); !ok {
		b.logf("no end-to-end run on a tmpfs: %s", why)
		return nil
	}
	root, err := os.MkdirTemp(b.cfg.tmpfs, "shippy-bench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(root)) }()
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	pprofAddrs := make(map[string]string)
	st, err := b.startStack(ctx, reg, root, "tmpfs-", pprofAddrs)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.stop()) }()
	newCall := createConsignment(platform.NewClient(reg))
	if err := b.warmUp(ctx, report.LoadE2ETmpfs, newCall); err != nil {
		return fmt.Errorf("%s: warm-up: %w", tmpfsTitle, err)
	}
	res, err := b.measure(ctx, report.LoadE2ETmpfs, newCall("measure"), b.cfg.duration, pprofAddrs)
	if err != nil {
		return fmt.Errorf("%s: %w", tmpfsTitle, err)
	}
	if res.Calls == 0 {
		return fmt.Errorf("%s: no call succeeded: %s", tmpfsTitle, res.ErrorSummary())
	}
	b.report.Loads = append(b.report.Loads, report.Load{Key: report.LoadE2ETmpfs, Title: tmpfsTitle, Result: res})
	return nil
}

const tmpfsTitle = "CreateConsignment end to end, data on tmpfs (not durable)"

// stack is the two services under test.
type stack struct {
	vessel, consignment *service
}

// startStack starts the vessel service on the bench fleet and the
// consignment service, with their data under root and their logs named
// with logPrefix, and returns once both are discoverable. With a profile
// directory, each service is asked to serve pprof (see envPprof) and its
// address is stored in pprofAddrs by program name.
func (b *bench) startStack(ctx context.Context, reg registry.Registry, root, logPrefix string, pprofAddrs map[string]string) (*stack, error) {
	fleetFile, err := writeFleet(root)
	if err != nil {
		return nil, err
	}
	start := func(prog, name string, extra ...string) (*service, error) {
		if b.cfg.profileDir != "" {
			addr, err := freeAddress()
			if err != nil {
				return nil, err
			}
			pprofAddrs[prog] = addr
			extra = append(extra, envPprof+"="+addr)
		}
		b.logf("starting %s, data in %s", prog, root)
		return startService(ctx, b.getenv, reg, b.bin(prog), name,
			filepath.Join(root, prog), b.logFile(logPrefix+prog), extra...)
	}
	st := &stack{}
	if st.vessel, err = start(progVessel, vesselpb.ServiceName, "VESSELS_FILE="+fleetFile); err != nil {
		return nil, err
	}
	if st.consignment, err = start(progConsignment, consignmentpb.ServiceName); err != nil {
		return nil, errors.Join(err, st.vessel.stop())
	}
	return st, nil
}

// services are the stack's services, the vessel service first.
func (s *stack) services() []*service { return []*service{s.vessel, s.consignment} }

// stop stops the consignment service, then the vessel service, and checks
// that both exited 0.
func (s *stack) stop() error {
	return errors.Join(s.consignment.stop(), s.vessel.stop())
}

// callMaker makes the call of one load for one phase ("warmup" or
// "measure"), so calls that create things can give them ids unique across
// phases.
type callMaker func(phase string) load.Call

// newCalls starts the baselines, in a process of their own (see
// serveNoop), and returns the call of every load by key, and a function
// that stops the baselines and closes the clients.
func (b *bench) newCalls(ctx context.Context, reg registry.Registry, vesselAddr string) (map[string]callMaker, func() error, error) {
	var closers []func() error
	stop := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (map[string]callMaker, func() error, error) {
		return nil, nil, errors.Join(err, stop())
	}

	noop, err := startNoopServers(ctx)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, noop.stop)
	wctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	if err := discovery.WaitNode(wctx, reg, microNoopName, noop.microAddr, nil); err != nil {
		return fail(err)
	}
	plainConn, err := baseline.Dial(noop.plainAddr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, plainConn.Close)
	microConn, err := baseline.Dial(noop.microAddr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, microConn.Close)
	vesselConn, err := baseline.Dial(vesselAddr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, vesselConn.Close)

	micro := platform.NewClient(reg)
	spec := &vesselpb.Specification{Capacity: benchContainers, MaxWeight: benchWeight}
	plainFind := func(conn *grpc.ClientConn) callMaker {
		return func(string) load.Call {
			return func(ctx context.Context, _, _ int) error {
				rsp, err := baseline.FindAvailable(ctx, conn, spec)
				return checkVessel(rsp, err)
			}
		}
	}
	microFind := func(name string) callMaker {
		vessels := vesselpb.NewVesselService(name, micro)
		return func(string) load.Call {
			return func(ctx context.Context, _, _ int) error {
				rsp, err := vessels.FindAvailable(ctx, spec)
				return checkVessel(rsp, err)
			}
		}
	}
	calls := map[string]callMaker{
		report.LoadBaseline:        plainFind(plainConn),
		report.LoadMicroNoop:       microFind(microNoopName),
		report.LoadMicroServerNoop: plainFind(microConn),
		report.LoadVesselPlain:     plainFind(vesselConn),
		report.LoadVesselMicro:     microFind(vesselpb.ServiceName),
		report.LoadE2E:             createConsignment(micro),
	}
	return calls, stop, nil
}

// checkVessel turns a FindAvailable answer without a vessel into an error.
func checkVessel(rsp *vesselpb.Response, err error) error {
	if err != nil {
		return err
	}
	if rsp.GetVessel().GetId() == "" {
		return errors.New("FindAvailable answered without a vessel")
	}
	return nil
}

// createConsignment is the end-to-end call: one CreateConsignment through
// the go-micro client, as the CLI makes it, with an id unique in the run.
func createConsignment(c client.Client) callMaker {
	shipping := consignmentpb.NewShippingService(consignmentpb.ServiceName, c)
	containers := make([]*consignmentpb.Container, benchContainers)
	for i := range containers {
		containers[i] = &consignmentpb.Container{
			CustomerId: fmt.Sprintf("cust%03d", i+1),
			Origin:     "Manchester, United Kingdom",
			UserId:     "user001",
		}
	}
	return func(phase string) load.Call {
		return func(ctx context.Context, worker, seq int) error {
			rsp, err := shipping.CreateConsignment(ctx, &consignmentpb.Consignment{
				Id:          fmt.Sprintf("bench-%s-%d-%d", phase, worker, seq),
				Description: "shippy-bench",
				Weight:      benchWeight,
				Containers:  containers,
			})
			if err != nil {
				return err
			}
			if !rsp.GetCreated() || rsp.GetConsignment().GetVesselId() == "" {
				return errors.New("CreateConsignment answered without a booking")
			}
			return nil
		}
	}
}

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

// profileServices starts fetching a CPU profile of load key, as long as
// one measurement, from each service that serves pprof at its address in
// addrs (by program name), and returns a function that waits for them and
// returns the paths written. A service built without the pprof hook is
// reported and skipped.
func (b *bench) profileServices(ctx context.Context, key string, d time.Duration, addrs map[string]string) func() []string {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		paths []string
	)
	seconds := max(1, int(d.Seconds()))
	for prog, addr := range addrs {
		wg.Go(func() {
			path := filepath.Join(b.cfg.profileDir, prog+"-"+key+".pprof")
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
			if err := fetch(ctx, url, path); err != nil {
				b.logf("no CPU profile of %s (build it with make bench-profile): %v", prog, err)
				return
			}
			mu.Lock()
			paths = append(paths, path)
			mu.Unlock()
		})
	}
	return func() []string {
		wg.Wait()
		return paths
	}
}

// fetch writes the body of a GET of url to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, rsp.Status)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, rsp.Body)
		return err
	})
}

// readMemory reads the memory of every service.
func readMemory(services []*service) ([]proc.Memory, error) {
	out := make([]proc.Memory, len(services))
	for i, s := range services {
		m, err := proc.ReadMemory(s.Pid())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		out[i] = m
	}
	return out, nil
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeFileAtomic writes path through write: to a temporary file in the
// same directory, renamed over path once complete.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
