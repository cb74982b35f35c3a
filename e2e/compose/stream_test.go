package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// createResult is one create of a createStream.
type createResult struct {
	start, end time.Time
	// id is the created consignment's, "" when the create failed.
	id  string
	cli cliResult
}

// createStream books smallConsignment over and over with the CLI's
// container, from a few workers at once, until stopped.
type createStream struct {
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu      sync.Mutex
	results []createResult
}

// startCreates starts a stream of creates from workers workers.
func (s *stack) startCreates(workers int) *createStream {
	cs := &createStream{stop: make(chan struct{})}
	for range workers {
		cs.wg.Go(func() {
			for {
				select {
				case <-cs.stop:
					return
				default:
				}
				cs.add(s.create())
			}
		})
	}
	return cs
}

// create books smallConsignment once.
func (s *stack) create() createResult {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	res := createResult{start: time.Now()}
	res.cli = s.runCLI(ctx, smallConsignment, "--json", "create", "/dev/stdin")
	res.end = time.Now()
	if res.cli.code == 0 {
		var c consignment
		if err := json.Unmarshal([]byte(lastLines(res.cli.stdout, 1)), &c); err == nil {
			res.id = c.ID
		}
	}
	return res
}

func (cs *createStream) add(r createResult) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.results = append(cs.results, r)
}

// snapshot returns the creates that have ended so far.
func (cs *createStream) snapshot() []createResult {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]createResult(nil), cs.results...)
}

// waitFor waits until n creates that started at or after since have ended,
// and fails t after timeout.
func (cs *createStream) waitFor(t *testing.T, n int, since time.Time, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := 0
		for _, r := range cs.snapshot() {
			if !r.start.Before(since) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d creates ended within %v", got, n, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// end stops the stream, waits for the creates in flight, and returns them
// all in the order they ended. It may be called more than once.
func (cs *createStream) end() []createResult {
	cs.stopOnce.Do(func() { close(cs.stop) })
	cs.wg.Wait()
	return cs.snapshot()
}

// netBytes returns the bytes each container of ids has received and sent
// on its network, from docker stats.
func netBytes(t *testing.T, ids []string) map[string]int64 {
	t.Helper()
	out := mustDocker(t, append([]string{"stats", "--no-stream", "--format", "{{.ID}} {{.NetIO}}"}, ids...)...)
	bytes := make(map[string]int64)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// 3f2a9c0e1b7d 1.21kB / 3.4kB
		f := strings.Fields(line)
		if len(f) != 4 || f[2] != "/" {
			t.Fatalf("docker stats: unexpected line %q", line)
		}
		in, errIn := parseSize(f[1])
		out, errOut := parseSize(f[3])
		if err := errors.Join(errIn, errOut); err != nil {
			t.Fatalf("docker stats: %q: %v", line, err)
		}
		for _, id := range ids {
			if strings.HasPrefix(id, f[0]) {
				bytes[id] = in + out
			}
		}
	}
	if len(bytes) != len(ids) {
		t.Fatalf("docker stats: %d of %d containers in %q", len(bytes), len(ids), out)
	}
	return bytes
}

// parseSize parses a size as docker prints it: "512B", "1.21kB", "3.4MB"
// (powers of 1000).
func parseSize(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("size %q: %w", s, err)
			}
			return int64(f * u.scale), nil
		}
	}
	return 0, fmt.Errorf("size %q: unknown unit", s)
}

// bookedBy returns, for each container of ids that booked any of the
// consignments of results, how many it booked: those its log names.
func bookedBy(t *testing.T, ids []string, results []createResult) map[string]int {
	t.Helper()
	booked := make(map[string]int)
	for _, id := range ids {
		logs := mustDocker(t, "logs", id)
		for _, r := range results {
			if r.id != "" && strings.Contains(logs, r.id) {
				booked[id]++
			}
		}
	}
	return booked
}
