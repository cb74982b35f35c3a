package compose

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
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

// spread is what waitSpread saw.
type spread struct {
	// creates is how many creates had ended.
	creates int
	// books are the BookBatch calls each vessel container answered.
	books map[string]int
}

// waitSpread waits until every vessel container of ids has answered a
// BookBatch call, as its metrics count them, and fails t when maxCreates creates
// end first.
func waitSpread(t *testing.T, ids []string, creates *createStream, maxCreates int) spread {
	t.Helper()
	metrics := make(map[string]string)
	for _, id := range ids {
		metrics[id] = "http://" + strings.TrimSpace(mustDocker(t, "port", id, "9100/tcp")) + "/metrics"
	}
	for {
		ended := len(creates.snapshot())
		sp := spread{creates: ended, books: make(map[string]int)}
		for id, url := range metrics {
			sp.books[id] = bookCalls(t, url)
		}
		if !slices.Contains(slices.Collect(maps.Values(sp.books)), 0) {
			return sp
		}
		if ended >= maxCreates {
			t.Fatalf("after %d creates, not every vessel instance answered a BookBatch call: %v", ended, sp.books)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// bookCalls returns the number of VesselService.BookBatch calls that the
// Prometheus metrics at url count, whatever their code.
func bookCalls(t *testing.T, url string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		t.Fatalf("metrics at %s: %s", url, rsp.Status)
	}
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatalf("metrics at %s: %v", url, err)
	}
	// shippy_rpc_requests_total{code="200",method="VesselService.BookBatch",service="shippy.service.vessel"} 4
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "shippy_rpc_requests_total{") || !strings.Contains(line, `method="VesselService.BookBatch"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics at %s: %q: %v", url, line, err)
		}
		n += int(v)
	}
	return n
}
