package report

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// result returns a load result of calls successful calls in one second.
func result(calls int, p99 time.Duration) load.Result {
	return load.Result{Calls: calls, Elapsed: time.Second, P50: p99 / 2, P90: p99 / 2, P99: p99, Max: p99}
}

// passing is a report that meets every target.
func passing() *Report {
	return &Report{
		Setup: Setup{Concurrency: 32, Duration: 10 * time.Second, LookupTimeout: 100 * time.Millisecond},
		Loads: []Load{
			{Key: LoadBaseline, Title: "baseline", Result: result(10000, time.Millisecond)},
			{Key: LoadVesselMicro, Title: "hop", Result: result(9000, time.Millisecond)},
			{Key: LoadE2E, Title: "e2e", Result: result(5000, 4*time.Millisecond)},
			{Key: LoadE2EPlain, Title: "e2e plain", Result: result(3000, 9*time.Millisecond)},
		},
		CLI: CLITimes{120 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond, 99 * time.Millisecond},
		Starts: []discovery.Times{
			{Registered: 90 * time.Millisecond, Found: 190 * time.Millisecond},
			{Registered: 50 * time.Millisecond, Found: 150 * time.Millisecond},
			{Registered: 400 * time.Millisecond, Found: 500 * time.Millisecond},
		},
		Memory: []ServiceMemory{
			{Service: "vessel", Idle: proc.Memory{RSS: 20 * MB}},
			{Service: "consignment", Idle: proc.Memory{RSS: 30 * MB}},
		},
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	// The targets, in order: go-micro caller's rate and p99, plain gRPC
	// caller's rate, p99 and errors, hop overhead, start, CLI, idle RSS of
	// each service.
	pass := func(except map[int]string) []string {
		v := make([]string, 10)
		for i := range v {
			v[i] = "PASS"
			if e, ok := except[i]; ok {
				v[i] = e
			}
		}
		return v
	}
	tests := []struct {
		name   string
		change func(*Report)
		// want is the verdict of each target, in order.
		want []string
	}{
		{"all met", func(*Report) {}, pass(nil)},
		{
			name:   "end to end too slow",
			change: func(r *Report) { r.Loads[2].Result = result(3999, 5*time.Millisecond) },
			want:   pass(map[int]string{0: "MISS", 1: "MISS"}),
		},
		{
			name:   "exactly 40 percent passes",
			change: func(r *Report) { r.Loads[2].Result = result(4000, time.Millisecond) },
			want:   pass(nil),
		},
		{
			name:   "plain caller below 25 percent and slow",
			change: func(r *Report) { r.Loads[3].Result = result(2499, 10*time.Millisecond) },
			want:   pass(map[int]string{2: "MISS", 3: "MISS"}),
		},
		{
			name:   "plain caller at exactly 25 percent passes",
			change: func(r *Report) { r.Loads[3].Result = result(2500, time.Millisecond) },
			want:   pass(nil),
		},
		{
			name:   "plain caller errors",
			change: func(r *Report) { r.Loads[3].Result.Errors = 1 },
			want:   pass(map[int]string{4: "MISS"}),
		},
		{
			name:   "hop 25 percent slower misses",
			change: func(r *Report) { r.Loads[1].Result = result(8000, time.Millisecond) },
			want:   pass(map[int]string{5: "MISS"}),
		},
		{
			name: "slow starts",
			change: func(r *Report) {
				r.Starts = []discovery.Times{{Registered: 300 * time.Millisecond}, {Registered: time.Second}}
			},
			want: pass(map[int]string{6: "MISS"}),
		},
		{
			name:   "CLI median of 100 ms misses",
			change: func(r *Report) { r.CLI = CLITimes{10 * time.Millisecond, 100 * time.Millisecond, time.Second} },
			want:   pass(map[int]string{7: "MISS"}),
		},
		{
			name:   "one service too big",
			change: func(r *Report) { r.Memory[1].Idle.RSS = 40 * MB },
			want:   pass(map[int]string{9: "MISS"}),
		},
		{
			name: "nothing measured",
			change: func(r *Report) {
				r.Loads, r.Starts, r.CLI = nil, nil, nil
				r.Memory[0].Idle.RSS = 0
			},
			want: []string{"not measured", "not measured", "not measured", "not measured", "not measured",
				"not measured", "not measured", "not measured", "not measured", "PASS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := passing()
			tt.change(r)
			targets := r.Targets()
			var got []string
			for _, target := range targets {
				got = append(got, target.Verdict())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("verdicts: got %v, want %v\ntargets: %+v", got, tt.want, targets)
			}
		})
	}
}

func TestDerivedNumbers(t *testing.T) {
	t.Parallel()
	r := passing()
	if ratio, ok := r.Ratio(); !ok || ratio != 0.5 {
		t.Errorf("Ratio: got %v, %v, want 0.5, true", ratio, ok)
	}
	if o, ok := r.Overhead(LoadE2E); !ok || o != 1 {
		t.Errorf("Overhead(e2e): got %v, %v, want 1 (twice as long), true", o, ok)
	}
	if _, ok := r.Overhead(LoadMicroNoop); ok {
		t.Error("Overhead of a load not measured: got ok")
	}
	if ratio, ok := r.RatioOf(LoadE2EPlain); !ok || ratio != 0.3 {
		t.Errorf("RatioOf(e2e-plain): got %v, %v, want 0.3, true", ratio, ok)
	}
	if got, want := []time.Duration{r.CLI.Median(), r.CLI.P90(), r.CLI.Max()},
		[]time.Duration{60 * time.Millisecond, 120 * time.Millisecond, 120 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("CLI median, p90, max: got %v, want %v", got, want)
	}
	if got := (CLITimes{}).Median(); got != 0 {
		t.Errorf("median of no CLI runs: got %v, want 0", got)
	}
	m, ok := r.MedianStart()
	if want := (discovery.Times{Registered: 90 * time.Millisecond, Found: 190 * time.Millisecond}); !ok || m != want {
		t.Errorf("MedianStart: got %v, %v, want %v, true", m, ok, want)
	}
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	r := passing()
	r.Loads[2].Result.Errors = 2
	r.Loads[2].Result.ErrorKinds = map[string]int{"a|b": 2}
	r.Images = []Image{{Name: "shippy/vessel:dev", Size: 27 * MB}, {Name: "shippy/cli:dev", Err: "n/a (no Docker engine)"}}
	r.Findings = "## Findings\n\nfsync.\n"
	r.Setup.Auth = "calls carry a token"
	r.Memory = append(r.Memory, ServiceMemory{Service: "user", Idle: proc.Memory{RSS: 25 * MB}, Note: "takes no call"})
	wantWritten(t, "Markdown", WriteMarkdown, r,
		"# Benchmarks",
		"- Authentication: calls carry a token.\n",
		"| user | 25.0 MB |",
		"\nuser: takes no call.\n",
		"| idle RSS, user | < 40.0 MB | 25.0 MB | PASS |",
		"| e2e | 5000 | 2.00 ms | 2.00 ms | 4.00 ms | 4.00 ms | 2 |",
		`Errors in *e2e*: 2× a\|b`,
		"end-to-end creates/s, go-micro client ÷ baseline calls/s: 50.0%",
		"end-to-end creates/s, plain gRPC client ÷ baseline calls/s: 30.0%",
		"| CLI create | 60.00 ms | 120.00 ms | 120.00 ms |",
		"| answering lookups | 90.00 ms | 50.00 ms | 400.00 ms |",
		"timeout (100ms in platform.NewRegistry)",
		"| shippy/vessel:dev | 27.0 MB |",
		"| shippy/cli:dev | n/a (no Docker engine) |",
		"| end-to-end p99, go-micro caller | < 5.00 ms | 4.00 ms | PASS |",
		"| end-to-end creates/s vs baseline calls/s, plain gRPC caller | >= 25% | 30.0% | PASS |",
		"| end-to-end p99, plain gRPC caller | < 10.00 ms | 9.00 ms | PASS |",
		"| end-to-end errors, plain gRPC caller | 0 | 0 | PASS |",
		"| CLI create, exec to exit (median) | < 100.00 ms | 60.00 ms | PASS |",
		"| idle RSS, consignment | < 40.0 MB | 30.0 MB | PASS |",
		"## Findings\n\nfsync.\n",
	)
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	r := passing()
	r.Loads[1].Result = result(1000, time.Millisecond)
	r.Setup.Auth = "calls carry a token"
	wantWritten(t, "text", WriteText, r,
		"32 callers",
		"\nauthentication: calls carry a token\n",
		"go-micro hop overhead (vessel FindAvailable through go-micro vs baseline): +900%",
		"MISS",
		"answering lookups 90.00 ms after exec",
		"CLI create over mDNS, exec to exit, 4 runs: median 60.00 ms, p90 120.00 ms, max 120.00 ms",
	)
}

// wantWritten writes r with write, the format named what, and fails t for
// each of wants that the output lacks.
func wantWritten(t *testing.T, what string, write func(io.Writer, *Report) error, r *Report, wants ...string) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, r); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, want := range wants {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%s lacks %q:\n%s", what, want, buf.String())
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	if got, want := Millis(1500*time.Microsecond), "1.50 ms"; got != want {
		t.Errorf("Millis: got %q, want %q", got, want)
	}
	if got, want := Megabytes(24_140_000), "24.1 MB"; got != want {
		t.Errorf("Megabytes: got %q, want %q", got, want)
	}
}
