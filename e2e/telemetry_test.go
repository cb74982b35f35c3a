package e2e

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// TestTelemetry runs both services and the CLI with tracing and metrics on:
// one create makes one trace, CLI -> consignment -> vessel -> store, that
// all three programs export over OTLP to a collector in the test; and the
// services' metrics servers count the calls, the booking and the room left.
func TestTelemetry(t *testing.T) {
	requireE2E(t)
	collector := startOTLPCollector(t)
	otlp := platform.EnvOTLPEndpoint + "=http://" + collector.addr

	root := t.TempDir()
	dir := filepath.Join(root, "cli")
	for _, d := range []string{"cli", "vessel", "consignment"} {
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
	vessel := startService(t, t, progVessel, vesselpb.ServiceName, env("vessel"))
	consignment := startService(t, t, progConsignment, consignmentpb.ServiceName, env("consignment"))

	file := writeFile(t, dir, "c.json", newConsignment("", 3, 55000).input())
	r := runCLI(t, dir, []string{otlp}, "--json", "create", file)
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
			{vm, `shippy_rpc_requests_total{code="200",method="VesselService.Book",service="shippy.service.vessel"}`, 1},
			{vm, `shippy_rpc_duration_seconds_count{code="200",method="VesselService.Book",service="shippy.service.vessel"}`, 1},
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

	spans := collector.spans()
	var rootSpan *otlpSpan
	for i, s := range spans {
		if s.service == progCLI && s.GetName() == "create" && len(s.GetParentSpanId()) == 0 {
			rootSpan = &spans[i]
		}
	}
	if rootSpan == nil {
		t.Fatalf("no root span \"create\" from %s; received: %v", progCLI, spans)
	}
	trace := make(map[string]otlpSpan) // by "service kind name"
	for _, s := range spans {
		if string(s.TraceId) == string(rootSpan.TraceId) {
			trace[s.key()] = s
		}
	}
	// Each span's parent is the one before it.
	chain := []string{
		progCLI + " internal create",
		progCLI + " client ShippingService.CreateConsignment",
		consignmentpb.ServiceName + " server ShippingService.CreateConsignment",
		consignmentpb.ServiceName + " client VesselService.Book",
		vesselpb.ServiceName + " server VesselService.Book",
		vesselpb.ServiceName + " client VesselStore.TakeRoom",
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
		consignmentpb.ServiceName + " client ConsignmentStore.Create",
		consignmentpb.ServiceName + " client ConsignmentStore.MarkBooked",
	} {
		if _, ok := trace[key]; !ok {
			t.Errorf("trace has no span %q; it has: %v", key, keysOf(trace))
		}
	}
}

// otlpSpan is a span as an OTLP collector receives it, with the service
// that sent it.
type otlpSpan struct {
	*tracepb.Span
	service string
}

func (s otlpSpan) key() string {
	kind := strings.ToLower(strings.TrimPrefix(s.Kind.String(), "SPAN_KIND_"))
	return s.service + " " + kind + " " + s.GetName()
}

func (s otlpSpan) String() string { return s.key() }

func keysOf(m map[string]otlpSpan) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// otlpCollector is an OTLP/gRPC trace collector that keeps what it is sent.
type otlpCollector struct {
	collectortracepb.UnimplementedTraceServiceServer
	addr string

	mu       sync.Mutex
	received []otlpSpan
}

// startOTLPCollector serves an otlpCollector on 127.0.0.1 until t ends.
func startOTLPCollector(t *testing.T) *otlpCollector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &otlpCollector{addr: ln.Addr().String()}
	srv := grpc.NewServer()
	collectortracepb.RegisterTraceServiceServer(srv, c)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return c
}

func (c *otlpCollector) Export(_ context.Context, req *collectortracepb.ExportTraceServiceRequest) (*collectortracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.received = append(c.received, otlpSpan{Span: s, service: service})
			}
		}
	}
	return &collectortracepb.ExportTraceServiceResponse{}, nil
}

// spans returns the spans received so far.
func (c *otlpCollector) spans() []otlpSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]otlpSpan(nil), c.received...)
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
	sc := bufio.NewScanner(strings.NewReader(s.stdout.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg            string `json:"msg"`
			MetricsAddress string `json:"metrics_address"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "service started" {
			if line.MetricsAddress == "" {
				t.Fatalf("%s started without a metrics_address", s.prog)
			}
			return line.MetricsAddress
		}
	}
	t.Fatalf("%s logged no \"service started\" line", s.prog)
	return ""
}
