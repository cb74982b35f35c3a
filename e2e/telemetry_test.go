package e2e

import (
	"bufio"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/testenv/otlptest"
)

// TestTelemetry runs both services and the CLI with tracing and metrics on
// (and the user service, without, to sign in the customer the CLI calls
// as): one create makes one trace, CLI -> consignment -> vessel -> store,
// that all three programs export over OTLP to a collector in the test; and
// the services' metrics servers count the calls, the booking and the room
// left.
func TestTelemetry(t *testing.T) {
	requireE2E(t)
	collector := otlptest.Start(t)
	otlp := platform.EnvOTLPEndpoint + "=http://" + collector.Addr

	root := t.TempDir()
	dir := filepath.Join(root, "cli")
	for _, d := range []string{"cli", "user", "vessel", "consignment"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := func(prog string) []string {
		return programEnv(otlp,
			platform.EnvMetricsAddress+"=127.0.0.1:0",
			platform.EnvShutdownTimeout+"="+shutdownTimeout.String(),
			"DATA_DIR="+filepath.Join(root, prog))
	}
	// The user service, without telemetry, only signs the customer in.
	users := startUser(t, filepath.Join(root, "user"))
	vessel := startService(t, t, progVessel, vesselpb.ServiceName, env("vessel"))
	consignment := startService(t, t, progConsignment, consignmentpb.ServiceName, env("consignment"))
	customer := newUser("traced")
	users.create(t, customer)
	token := users.login(t, customer).GetToken()

	file := writeFile(t, dir, "c.json", newConsignment("", 3, 55000).input())
	r := runCLI(t, dir, []string{otlp, envToken + "=" + token}, "", "--json", "create", file)
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	created := decodeLine[consignmentJSON](t, strings.TrimSpace(r.stdout))

	t.Run("metrics", func(t *testing.T) {
		vm := scrapeMetrics(t, vessel)
		cm := scrapeMetrics(t, consignment)
		for _, want := range []struct {
			metrics map[string]float64
			series  string
			value   float64
		}{
			{vm, `shippy_vessel_bookings_total{outcome="made"}`, 1},
			{vm, `shippy_vessel_bookings_total{outcome="refused"}`, 0},
			{vm, `shippy_rpc_requests_total{code="200",method="VesselService.BookBatch",service="shippy.service.vessel"}`, 1},
			{vm, `shippy_rpc_duration_seconds_count{code="200",method="VesselService.BookBatch",service="shippy.service.vessel"}`, 1},
			{vm, `shippy_fleet_remaining_containers`, 500 - 3},
			{vm, `shippy_vessel_remaining_weight_grams{vessel="` + created.VesselID + `"}`, (200000 - 55000) * 1000},
			{cm, `shippy_rpc_requests_total{code="200",method="ShippingService.CreateConsignment",service="shippy.service.consignment"}`, 1},
		} {
			got, ok := want.metrics[want.series]
			if !ok {
				t.Errorf("no %s", want.series)
			} else if got != want.value {
				t.Errorf("%s = %v, want %v", want.series, got, want.value)
			}
		}
	})

	// A stopped service sends the spans it still holds; the CLI sent its
	// own before it exited.
	consignment.stop(t)
	vessel.stop(t)

	spans := collector.Spans()
	var rootSpan *otlptest.Span
	for i, s := range spans {
		if s.Service == progCLI && s.GetName() == "create" && len(s.GetParentSpanId()) == 0 {
			rootSpan = &spans[i]
		}
	}
	if rootSpan == nil {
		t.Fatalf("no root span \"create\" from %s; received: %v", progCLI, spans)
	}
	trace := make(map[string]otlptest.Span) // by "service kind name"
	for _, s := range spans {
		if string(s.TraceId) == string(rootSpan.TraceId) {
			trace[s.Key()] = s
		}
	}
	// Each span's parent is the one before it.
	chain := []string{
		progCLI + " internal create",
		progCLI + " client ShippingService.CreateConsignment",
		consignmentpb.ServiceName + " server ShippingService.CreateConsignment",
		consignmentpb.ServiceName + " client VesselService.BookBatch",
		vesselpb.ServiceName + " server VesselService.BookBatch",
		vesselpb.ServiceName + " client VesselStore.BookHeld",
	}
	for i, key := range chain {
		s, ok := trace[key]
		if !ok {
			t.Errorf("trace %s has no span %q; it has: %v", hex.EncodeToString(rootSpan.TraceId), key, keysOf(trace))
			continue
		}
		if i > 0 {
			if parent, ok := trace[chain[i-1]]; ok && string(s.ParentSpanId) != string(parent.SpanId) {
				t.Errorf("span %q: parent %x, want %q (%x)", key, s.ParentSpanId, chain[i-1], parent.SpanId)
			}
		}
	}
	// The consignment service's store calls are in the trace too.
	for _, key := range []string{
		consignmentpb.ServiceName + " client ConsignmentStore.Get",
		consignmentpb.ServiceName + " client ConsignmentStore.Create",
	} {
		if _, ok := trace[key]; !ok {
			t.Errorf("trace has no span %q; it has: %v", key, keysOf(trace))
		}
	}
}

func keysOf(m map[string]otlptest.Span) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// scrapeMetrics fetches the Prometheus metrics of s, at the address its
// "service started" line gives, as series (name{labels}, labels sorted as
// Prometheus writes them) to value.
func scrapeMetrics(t *testing.T, s *service) map[string]float64 {
	t.Helper()
	addr := loggedMetricsAddress(t, s)
	client := http.Client{Timeout: 10 * time.Second}
	rsp, err := client.Get("http://" + addr + platform.MetricsPath)
	if err != nil {
		t.Fatalf("scrape %s: %v", s.prog, err)
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(rsp.Body)
	if err != nil || rsp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v: %s", s.prog, rsp.Status, err, body)
	}
	metrics := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape %s: line %q: %v", s.prog, line, err)
		}
		metrics[line[:i]] = v
	}
	return metrics
}

// loggedMetricsAddress is the metrics_address of s's "service started" line.
func loggedMetricsAddress(t *testing.T, s *service) string {
	t.Helper()
	line, ok := startedLine(s.stdout.String())
	if !ok {
		t.Fatalf("%s logged no \"service started\" line", s.prog)
	}
	if line.MetricsAddress == "" {
		t.Fatalf("%s started without a metrics_address", s.prog)
	}
	return line.MetricsAddress
}
