// Package report holds what one benchmark run measured, checks it against
// Shippy's performance targets, and writes it as a text table (for a
// terminal) and as Markdown (BENCHMARKS.md).
package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// Keys of the load measurements a Report holds; Targets reads these.
const (
	// LoadBaseline is a plain grpc-go client calling a plain grpc-go
	// server that does no work: one hop at its physical limit.
	LoadBaseline = "baseline"
	// LoadMicroNoop is the go-micro client calling a go-micro server that
	// does no work: the framework's own cost.
	LoadMicroNoop = "micro-noop"
	// LoadMicroServerNoop is a plain grpc-go client calling the go-micro
	// server of LoadMicroNoop at its address: the go-micro server's share
	// of the framework's cost.
	LoadMicroServerNoop = "micro-server-noop"
	// LoadVesselPlain is a plain grpc-go client calling the vessel
	// service's FindAvailable at its address.
	LoadVesselPlain = "vessel-plain"
	// LoadVesselMicro is the go-micro client calling the vessel service's
	// FindAvailable through the registry: one hop as Shippy makes it.
	LoadVesselMicro = "vessel-micro"
	// LoadE2E is CreateConsignment end to end: go-micro client to the
	// consignment service, which books on the vessel service and stores.
	LoadE2E = "e2e"
	// LoadE2EPlain is LoadE2E called by a plain grpc-go client at the
	// consignment service's address: the creates as a caller outside the
	// framework sees them.
	LoadE2EPlain = "e2e-plain"
	// LoadE2ETmpfs is LoadE2E with the services' data on a tmpfs, where
	// fsync is free: not durable, and not what the targets are about, but
	// it shows what the disk costs.
	LoadE2ETmpfs = "e2e-tmpfs"
)

// Performance targets (the issues'). The E2E ones are of the go-micro
// caller; the E2EPlain ones of the plain gRPC caller, which must also make
// no error; TargetCLIMedian is the median wall time of a CLI create.
const (
	TargetE2ERatio        = 0.40
	TargetE2EP99          = 5 * time.Millisecond
	TargetE2EPlainRatio   = 0.25
	TargetE2EPlainP99     = 10 * time.Millisecond
	TargetHopOverhead     = 0.25
	TargetStartToDiscover = 300 * time.Millisecond
	TargetCLIMedian       = 100 * time.Millisecond
	TargetIdleRSS         = 40 * MB
)

// MB is a megabyte, as the targets and `docker image ls` count them.
const MB = 1000 * 1000

// Report is one run.
type Report struct {
	Machine Machine
	Setup   Setup
	// Loads are the load measurements in the order they ran.
	Loads []Load
	// Starts are the start-to-discoverable samples of the vessel service.
	Starts []discovery.Times
	// CLI are the wall times of CLI creates; empty when not measured.
	CLI CLITimes
	// Memory is each service's resident memory.
	Memory []ServiceMemory
	// Images are the container images' sizes.
	Images []Image
	// Fsync is the latency of one small write and fsync in the data
	// directory, the floor under every durable commit.
	Fsync Latency
	// TokenVerify is the time auth.Verifier.Verify takes for a user's
	// token it has not seen, and TokenRemembered for one it has (the same
	// caller's next call).
	TokenVerify, TokenRemembered Latency
	// Commits are durable bbolt commits in the data directory by as many
	// writers as there are callers: the ceiling the embedded store puts
	// under writes, committed one by one and grouped.
	Commits []Load
	// Listing is GetConsignments over a large store; nil when not measured.
	Listing *Listing
	// Profiles lists CPU profiles written during the run, if any.
	Profiles []string
	// Findings is Markdown written by people who profiled the targets that
	// were missed; it is printed after the targets.
	Findings string
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string
	Cores      int
	Kernel     string
	GoVersion  string
	GoMicro    string
	GRPC       string
	Date       time.Time
	LoadBefore string // /proc/loadavg when the run started
	LoadAfter  string // and when it ended
}

// Setup is how the run was made.
type Setup struct {
	Concurrency int
	// Duration is each load's measured time in all, in Rounds rounds.
	Duration time.Duration
	Rounds   int
	Warmup   time.Duration
	// Store describes the services' storage ("embedded bbolt, durable ...").
	Store string
	// Fleet describes the vessels seeded for the load.
	Fleet string
	// Network says where the traffic went.
	Network string
	// Auth says what token the calls carry and which services checked it;
	// empty when the services were not started.
	Auth string
	// LookupTimeout is how long one registry lookup waits for answers
	// (mDNS waits all of it).
	LookupTimeout time.Duration
}

// Load is one load measurement.
type Load struct {
	Key    string
	Title  string
	Result load.Result
}

// ServiceMemory is one service's resident memory, idle after start and
// right after the load.
type ServiceMemory struct {
	Service      string
	Idle, Loaded proc.Memory
	// Note, if any, says what the figures mean for this service (the
	// Markdown prints it under the table).
	Note string
}

// Image is a container image and its size, or why it has none.
type Image struct {
	Name string
	Size int64
	// Err says why the size is unknown ("n/a (no Docker engine)").
	Err string
}

// Latency is a small latency distribution.
type Latency struct {
	P50, P99 time.Duration
	// Err says why it was not measured.
	Err string
}

// Load returns the load measurement with key, and whether there is one.
func (r *Report) Load(key string) (load.Result, bool) {
	i := slices.IndexFunc(r.Loads, func(l Load) bool { return l.Key == key })
	if i < 0 {
		return load.Result{}, false
	}
	return r.Loads[i].Result, true
}

// Ratio is end-to-end creates per second (go-micro caller) over baseline
// calls per second; ok is false when either was not measured or the
// baseline made no call.
func (r *Report) Ratio() (ratio float64, ok bool) {
	return r.RatioOf(LoadE2E)
}

// RatioOf is the calls per second of the load key over the baseline's,
// with ok as for Ratio.
func (r *Report) RatioOf(key string) (ratio float64, ok bool) {
	l, ok1 := r.Load(key)
	base, ok2 := r.Load(LoadBaseline)
	if !ok1 || !ok2 || base.PerSecond() == 0 {
		return 0, false
	}
	return l.PerSecond() / base.PerSecond(), true
}

// Overhead is how much longer a call through `key` takes than a baseline
// call, from throughput at equal concurrency (closed loop: throughput is
// concurrency over mean latency): baseline calls/s over key's calls/s,
// minus one. 0.25 means a call takes 25% longer.
func (r *Report) Overhead(key string) (overhead float64, ok bool) {
	return r.OverheadOver(key, LoadBaseline)
}

// OverheadOver is Overhead measured against the load base instead of the
// baseline.
func (r *Report) OverheadOver(key, base string) (overhead float64, ok bool) {
	l, ok1 := r.Load(key)
	b, ok2 := r.Load(base)
	if !ok1 || !ok2 || l.PerSecond() == 0 {
		return 0, false
	}
	return b.PerSecond()/l.PerSecond() - 1, true
}

// MedianStart is the median of the Starts, or false when there are none.
// For an even count it is the lower of the two middle samples.
func (r *Report) MedianStart() (discovery.Times, bool) {
	if len(r.Starts) == 0 {
		return discovery.Times{}, false
	}
	registered := make([]time.Duration, len(r.Starts))
	found := make([]time.Duration, len(r.Starts))
	for i, s := range r.Starts {
		registered[i], found[i] = s.Registered, s.Found
	}
	slices.Sort(registered)
	slices.Sort(found)
	return discovery.Times{
		Registered: load.Percentile(registered, 50),
		Found:      load.Percentile(found, 50),
	}, true
}

// Target is one performance target and whether the run met it.
type Target struct {
	Name string
	Want string
	Got  string
	// Measured is false when the run could not measure it; Pass is then
	// false too.
	Measured, Pass bool
}

// Verdict is PASS, MISS, or "not measured".
func (t Target) Verdict() string {
	switch {
	case !t.Measured:
		return "not measured"
	case t.Pass:
		return "PASS"
	default:
		return "MISS"
	}
}

// Targets checks the run against the targets: the end-to-end ones, both
// callers', then the rest in the issues' order.
func (r *Report) Targets() []Target {
	ts := r.e2eTargets(LoadE2E, "go-micro caller", TargetE2ERatio, TargetE2EP99)
	ts = append(ts, r.e2eTargets(LoadE2EPlain, "plain gRPC caller", TargetE2EPlainRatio, TargetE2EPlainP99)...)
	ts = append(ts, r.errorsTarget(LoadE2EPlain, "end-to-end errors, plain gRPC caller"))

	t := Target{Name: "go-micro hop overhead (vessel FindAvailable vs baseline)", Want: fmt.Sprintf("< %.0f%%", 100*TargetHopOverhead)}
	if o, ok := r.Overhead(LoadVesselMicro); ok {
		t.Measured, t.Pass, t.Got = true, o < TargetHopOverhead, fmt.Sprintf("%.0f%%", 100*o)
	}
	ts = append(ts, t)

	t = Target{Name: "start to discoverable (median)", Want: "< " + Millis(TargetStartToDiscover)}
	if m, ok := r.MedianStart(); ok {
		t.Measured, t.Pass, t.Got = true, m.Registered < TargetStartToDiscover, Millis(m.Registered)
	}
	ts = append(ts, t)

	t = Target{Name: "CLI create, exec to exit (median)", Want: "< " + Millis(TargetCLIMedian)}
	if len(r.CLI) > 0 {
		t.Measured, t.Pass, t.Got = true, r.CLI.Median() < TargetCLIMedian, Millis(r.CLI.Median())
	}
	ts = append(ts, t)

	for _, m := range r.Memory {
		t = Target{Name: "idle RSS, " + m.Service, Want: "< " + Megabytes(TargetIdleRSS)}
		if m.Idle.RSS > 0 {
			t.Measured, t.Pass, t.Got = true, m.Idle.RSS < TargetIdleRSS, Megabytes(m.Idle.RSS)
		}
		ts = append(ts, t)
	}
	return append(ts, r.listingTargets()...)
}

// e2eTargets are the rate (vs the baseline's) and p99 targets of the
// end-to-end load key, whose caller names them.
func (r *Report) e2eTargets(key, caller string, ratio float64, p99 time.Duration) []Target {
	rate := Target{Name: "end-to-end creates/s vs baseline calls/s, " + caller, Want: fmt.Sprintf(">= %.0f%%", 100*ratio)}
	if got, ok := r.RatioOf(key); ok {
		rate.Measured, rate.Pass, rate.Got = true, got >= ratio, fmt.Sprintf("%.1f%%", 100*got)
	}
	tail := Target{Name: "end-to-end p99, " + caller, Want: "< " + Millis(p99)}
	if l, ok := r.Load(key); ok && l.Calls > 0 {
		tail.Measured, tail.Pass, tail.Got = true, l.P99 < p99, Millis(l.P99)
	}
	return []Target{rate, tail}
}

// errorsTarget is the target of no failed call in the load key.
func (r *Report) errorsTarget(key, name string) Target {
	t := Target{Name: name, Want: "0"}
	if l, ok := r.Load(key); ok {
		t.Measured, t.Pass, t.Got = true, l.Errors == 0, fmt.Sprint(l.Errors)
	}
	return t
}

// CLITimes are the wall times of CLI creates, from exec to exit.
type CLITimes []time.Duration

// Median is the middle wall time (nearest rank); zero when there is none.
func (c CLITimes) Median() time.Duration { return c.percentile(50) }

// P90 is the 90th percentile wall time (nearest rank); zero when there is
// none.
func (c CLITimes) P90() time.Duration { return c.percentile(90) }

// Max is the longest wall time; zero when there is none.
func (c CLITimes) Max() time.Duration { return c.percentile(100) }

func (c CLITimes) percentile(p float64) time.Duration {
	if len(c) == 0 {
		return 0
	}
	return load.Percentile(slices.Sorted(slices.Values(c)), p)
}

// Millis formats d in milliseconds with two decimals.
func Millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// Megabytes formats n bytes in MB (10^6 bytes) with one decimal.
func Megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/MB)
}
