package report

import (
	"bytes"
	"io"
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
		},
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
	tests := []struct {
		name   string
		change func(*Report)
		// want is the verdict of each target, in order.
		want []string
	}{
		{"all met", func(*Report) {}, []string{"PASS", "PASS", "PASS", "PASS", "PASS", "PASS"}},
		{
			name:   "end to end too slow",
			change: func(r *Report) { r.Loads[2].Result = result(3999, 5*time.Millisecond) },
			want:   []string{"MISS", "MISS", "PASS", "PASS", "PASS", "PASS"},
		},
		{
			name:   "exactly 40 percent passes",
			change: func(r *Report) { r.Loads[2].Result = result(4000, time.Millisecond) },
			want:   []string{"PASS", "PASS", "PASS", "PASS", "PASS", "PASS"},
		},
		{
			name:   "hop 25 percent slower misses",
			change: func(r *Report) { r.Loads[1].Result = result(8000, time.Millisecond) },
			want:   []string{"PASS", "PASS", "MISS", "PASS", "PASS", "PASS"},
		},
		{
			name: "slow starts",
			change: func(r *Report) {
				r.Starts = []discovery.Times{{Registered: 300 * time.Millisecond}, {Registered: time.Second}}
			},
			want: []string{"PASS", "PASS", "PASS", "MISS", "PASS", "PASS"},
		},
		{
			name:   "one service too big",
			change: func(r *Report) { r.Memory[1].Idle.RSS = 40 * MB },
			want:   []string{"PASS", "PASS", "PASS", "PASS", "PASS", "MISS"},
		},
		{
			name: "nothing measured",
			change: func(r *Report) {
				r.Loads, r.Starts = nil, nil
				r.Memory[0].Idle.RSS = 0
			},
			want: []string{"not measured", "not measured", "not measured", "not measured", "not measured", "PASS"},
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
	wantWritten(t, "Markdown", WriteMarkdown, r,
		"# Benchmarks",
		"| e2e | 5000 | 2.00 ms | 2.00 ms | 4.00 ms | 4.00 ms | 2 |",
		`Errors in *e2e*: 2× a\|b`,
		"end-to-end creates/s ÷ baseline calls/s: 50.0%",
		"| answering lookups | 90.00 ms | 50.00 ms | 400.00 ms |",
		"timeout (100ms in platform.NewRegistry)",
		"| shippy/vessel:dev | 27.0 MB |",
		"| shippy/cli:dev | n/a (no Docker engine) |",
		"| end-to-end p99 | < 5.00 ms | 4.00 ms | PASS |",
		"| idle RSS, consignment | < 40.0 MB | 30.0 MB | PASS |",
		"## Findings\n\nfsync.\n",
	)
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	r := passing()
	r.Loads[1].Result = result(1000, time.Millisecond)
	wantWritten(t, "text", WriteText, r,
		"32 callers",
		"go-micro hop overhead (vessel FindAvailable through go-micro vs baseline): +900%",
		"MISS",
		"answering lookups 90.00 ms after exec",
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
