package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// Limits that keep a run bounded whatever the flags say.
const (
	maxDuration    = 10 * time.Minute
	maxConcurrency = 4096
	maxStarts      = 100
	minRound       = 100 * time.Millisecond
	maxListing     = 10_000_000
)

// config is what the flags say.
type config struct {
	concurrency int
	// duration is each load's measured time in all, over rounds rounds.
	duration time.Duration
	rounds   int
	warmup   time.Duration
	// out is the Markdown report to write; empty writes none.
	out string
	// binDir holds the built programs (make build's bin/).
	binDir string
	// dataDir is where the services' data directories and logs go while
	// the run lasts. It should be on the disk the services would use:
	// a tmpfs would make the durable store's fsyncs free.
	dataDir string
	// loads are the keys of the load measurements to run, in loadOrder.
	loads []string
	// starts is the number of start-to-discoverable samples.
	starts int
	// cliRuns is the number of CLI creates timed; 0 skips them.
	cliRuns int
	// images are the container images whose sizes are reported.
	images []string
	// tmpfs is a directory on a tmpfs for one more end-to-end run whose
	// stores' fsyncs cost nothing; empty skips it.
	tmpfs string
	// findings is a Markdown file of profiling findings copied into the
	// report; a missing file is skipped.
	findings string
	// listing is how many consignments the listing measurement stores; 0
	// skips it.
	listing int
	// profileDir, when set, receives CPU profiles: the load generator's
	// for each measurement, and the services' during the end-to-end load
	// when they serve pprof (see envPprof).
	profileDir string
}

// defaultImages are the images mk/docker.mk builds with its default tag:
// shippy/<program>:$(SHIPPY_TAG), dev unless set.
var defaultImages = []string{"shippy/shippy-service-user:dev", "shippy/shippy-service-vessel:dev", "shippy/shippy-service-consignment:dev", "shippy/shippy-cli-consignment:dev"}

// parseFlags reads the command line. It returns flag.ErrHelp after writing
// the usage for -h.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var images, loads string
	fs := flag.NewFlagSet("shippy-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.concurrency, "concurrency", 32, "concurrent callers in each measurement")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each measurement")
	fs.IntVar(&cfg.rounds, "rounds", 5, "measure the loads in this many interleaved rounds, each load -duration in all (1 with -profile-dir)")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before each measurement, not counted")
	fs.StringVar(&cfg.out, "out", "BENCHMARKS.md", "Markdown report to write (empty: none)")
	fs.StringVar(&cfg.binDir, "bin", "bin", "directory of the built programs (make build)")
	fs.StringVar(&cfg.dataDir, "data", "data/bench", "directory for the services' data and logs during the run (not a tmpfs)")
	fs.StringVar(&loads, "loads", strings.Join(loadKeys(), ","), "load measurements to run, separated by commas or spaces")
	fs.IntVar(&cfg.starts, "starts", 10, "start-to-discoverable samples")
	fs.IntVar(&cfg.cliRuns, "cli-runs", cliRuns, "CLI creates to time, exec to exit (0: skip them)")
	fs.StringVar(&images, "images", strings.Join(defaultImages, ","), "container images to report the size of, separated by commas or spaces")
	fs.StringVar(&cfg.tmpfs, "tmpfs", "/dev/shm", "a tmpfs directory for one more end-to-end run without fsync costs (not durable); empty skips it")
	fs.StringVar(&cfg.findings, "findings", "bench/FINDINGS.md", "Markdown findings to copy into the report (skipped when missing)")
	fs.IntVar(&cfg.listing, "listing", report.ListingStored, "consignments to store for the listing measurement (0: skip it)")
	fs.StringVar(&cfg.profileDir, "profile-dir", "", "write CPU profiles here (the services' too when built with the pprof hook: make bench-profile)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: shippy-bench [flags]\n\n"+
			"Starts the services from -bin in a private network namespace and measures them; see BENCHMARKS.md.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.images = splitList(images)
	cfg.loads = splitList(loads)
	return cfg, cfg.validate()
}

// validate reports the first flag that cannot work, naming it.
func (c config) validate() error {
	switch {
	case c.concurrency < 1 || c.concurrency > maxConcurrency:
		return fmt.Errorf("-concurrency: want 1 to %d, got %d", maxConcurrency, c.concurrency)
	case c.duration <= 0 || c.duration > maxDuration:
		return fmt.Errorf("-duration: want more than 0 and at most %s, got %s", maxDuration, c.duration)
	case c.rounds < 1 || c.duration/time.Duration(max(c.rounds, 1)) < minRound:
		return fmt.Errorf("-rounds: want at least 1 and rounds of at least %s (-duration / -rounds), got %d", minRound, c.rounds)
	case c.warmup < 0 || c.warmup > maxDuration:
		return fmt.Errorf("-warmup: want 0 to %s, got %s", maxDuration, c.warmup)
	case c.starts < 1 || c.starts > maxStarts:
		return fmt.Errorf("-starts: want 1 to %d, got %d", maxStarts, c.starts)
	case c.cliRuns < 0 || c.cliRuns > maxCLIRuns:
		return fmt.Errorf("-cli-runs: want 0 to %d, got %d", maxCLIRuns, c.cliRuns)
	case c.listing < 0 || c.listing > maxListing:
		return fmt.Errorf("-listing: want 0 to %d, got %d", maxListing, c.listing)
	case c.binDir == "":
		return errors.New("-bin: required")
	case c.dataDir == "":
		return errors.New("-data: required")
	}
	for _, key := range c.loads {
		if !slices.Contains(loadKeys(), key) {
			return fmt.Errorf("-loads: unknown measurement %q (known: %s)", key, strings.Join(loadKeys(), ", "))
		}
	}
	return nil
}

// splitList splits a flag value at commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// timeout bounds a whole run: every measurement with its warm-up, the
// starts, the CLI runs, and room for setting up and stopping.
func (c config) timeout() time.Duration {
	return time.Duration(len(loadOrder)+2)*(c.warmup+c.duration+c.duration/2) +
		time.Duration(c.starts)*10*time.Second + time.Duration(c.cliRuns)*cliTimeout + 3*time.Minute +
		time.Duration(c.listing)*listingPerConsignment
}

// listingPerConsignment bounds the listing measurement's time per stored
// consignment: writing it, and walking and reading it (about 60 µs here).
const listingPerConsignment = 300 * time.Microsecond

// run is shippy-bench. Everything that uses mDNS runs inside a private
// network namespace: outside one, run starts itself again in one and waits.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == serveNoopArg {
		return serveNoop(ctx, stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if getenv(netns.EnvInside) != "1" {
		return runInNamespace(ctx, args, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	return benchmark(ctx, cfg, getenv, stdout, stderr)
}

// runInNamespace runs this program again with args in a private network
// namespace (loopback only, multicast on) and waits for it. When ctx is
// done first, the inner run gets SIGTERM and stops as it would on Ctrl-C.
func runInNamespace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if out, err := netns.Command("true").CombinedOutput(); err != nil {
		return fmt.Errorf("no private network namespace can be made here, and mDNS must not run on the host network "+
			"(needs unshare and ip, and root or unprivileged user namespaces): %v: %s", err, strings.TrimSpace(string(out)))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	cmd := netns.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start in a network namespace: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		err = <-waited
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		// The inner run has said what went wrong on stderr.
		return fmt.Errorf("the run in the network namespace failed (%s)", exit)
	}
	return err
}
