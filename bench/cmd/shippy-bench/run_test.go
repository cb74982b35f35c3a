package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv/netns"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	defaults, err := parseFlags(nil, new(bytes.Buffer))
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}
	if defaults.concurrency != 32 || defaults.duration != 10*time.Second || defaults.out != "BENCHMARKS.md" ||
		defaults.starts != 10 || defaults.rounds != 5 || defaults.cliRuns != cliRuns || !slices.Equal(defaults.loads, loadKeys()) || !slices.Equal(defaults.images, defaultImages) {
		t.Errorf("defaults: got %+v", defaults)
	}

	tests := []struct {
		name    string
		args    []string
		check   func(config) bool
		wantErr string
	}{
		{
			name:  "lists split at commas and spaces",
			args:  []string{"-loads", "e2e, baseline", "-images", "a:1 b:2,c:3"},
			check: func(c config) bool { return slices.Equal(c.loads, []string{"e2e", "baseline"}) && len(c.images) == 3 },
		},
		{name: "no images", args: []string{"-images", ""}, check: func(c config) bool { return len(c.images) == 0 }},
		{name: "no warm-up", args: []string{"-warmup", "0s"}, check: func(c config) bool { return c.warmup == 0 }},
		{name: "zero callers", args: []string{"-concurrency", "0"}, wantErr: "-concurrency"},
		{name: "endless", args: []string{"-duration", "1h"}, wantErr: "-duration"},
		{name: "no starts", args: []string{"-starts", "0"}, wantErr: "-starts"},
		{name: "no CLI runs", args: []string{"-cli-runs", "0"}, check: func(c config) bool { return c.cliRuns == 0 }},
		{name: "too many CLI runs", args: []string{"-cli-runs", "101"}, wantErr: "-cli-runs"},
		{name: "no rounds", args: []string{"-rounds", "0"}, wantErr: "-rounds"},
		{name: "rounds too short", args: []string{"-duration", "1s", "-rounds", "20"}, wantErr: "-rounds"},
		{name: "unknown load", args: []string{"-loads", "e2e,fast"}, wantErr: `unknown measurement "fast"`},
		{name: "no bin", args: []string{"-bin", ""}, wantErr: "-bin"},
		{name: "argument", args: []string{"now"}, wantErr: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"-fast"}, wantErr: "-fast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseFlags(tt.args, new(bytes.Buffer))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%q): got error %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			}
			if !tt.check(got) {
				t.Errorf("parseFlags(%q): got %+v", tt.args, got)
			}
		})
	}
}

func TestRunHelpAndBadFlags(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, noEnv, &stdout, &stderr); err != nil {
		t.Errorf("run -h: got %v, want nil", err)
	}
	if !strings.Contains(stderr.String(), "-concurrency") {
		t.Errorf("run -h: usage lacks the flags: %q", stderr.String())
	}
	if err := run(context.Background(), []string{"-duration", "-1s"}, noEnv, &stdout, &stderr); err == nil {
		t.Error("run -duration -1s: got no error")
	}
}

func TestBenchmarkNeedsBuiltPrograms(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-bin", t.TempDir(), "-data", t.TempDir()}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	inside := func(key string) string {
		if key == netns.EnvInside {
			return "1" // pretend, so run goes straight to the benchmark
		}
		return ""
	}
	err = run(context.Background(), []string{"-bin", cfg.binDir, "-data", cfg.dataDir}, inside, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "make build") {
		t.Errorf("run without built programs: got %v, want a missing file and the hint to make build", err)
	}
}

func TestServiceEnv(t *testing.T) {
	t.Parallel()
	getenv := func(key string) string {
		return map[string]string{
			"MICRO_REGISTRY": "consul", "DATA_DIR": "/elsewhere", "LOG_LEVEL": "debug", "GOGC": "200", "PATH": "/bin",
		}[key]
	}
	got := serviceEnv(getenv, "127.0.0.1:7000", "/data/v", "VESSELS_FILE=/f.json")
	want := []string{
		"MICRO_REGISTRY=mdns",
		"MICRO_SERVER_ADDRESS=127.0.0.1:7000",
		"SHUTDOWN_TIMEOUT=5s",
		"DATA_DIR=/data/v",
		"PATH=/bin",
		"GOGC=200",
		"VESSELS_FILE=/f.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("serviceEnv:\ngot  %q\nwant %q", got, want)
	}
}

func TestWriteFleet(t *testing.T) {
	t.Parallel()
	path, err := writeFleet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fleet []map[string]any
	if err := json.Unmarshal(data, &fleet); err != nil {
		t.Fatalf("fleet file: %v\n%s", err, data)
	}
	if len(fleet) != fleetSize {
		t.Fatalf("fleet file: got %d vessels, want %d", len(fleet), fleetSize)
	}
	// The vessel service's fleet file has exactly these fields.
	for _, v := range fleet {
		var keys []string
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if want := []string{"available", "capacity", "id", "max_weight", "name", "owner_id"}; !slices.Equal(keys, want) {
			t.Errorf("vessel fields: got %v, want %v", keys, want)
		}
		if v["capacity"] != float64(2147483647) || v["max_weight"] != float64(2147483647) {
			t.Errorf("vessel room: got %v containers and %v kg, want the int32 maximum", v["capacity"], v["max_weight"])
		}
	}
}

func TestCPUModel(t *testing.T) {
	t.Parallel()
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got, want := cpuModel([]byte(cpuinfo)), "AMD EPYC 7B13"; got != want {
		t.Errorf("cpuModel: got %q, want %q", got, want)
	}
	if got := cpuModel([]byte("processor\t: 0\n")); got != "" {
		t.Errorf("cpuModel without a model: got %q, want empty", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("failed")
	err := writeFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("writeFileAtomic: got %v, want the writer's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("after a failed write: got %q, want the old content", got)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("after a write: got %q, want %q", got, "new")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the output", len(entries))
	}
}

func noEnv(string) string { return "" }
