package platform

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shippy-suite/shippy/platform/internal/micro"
	"github.com/shippy-suite/shippy/testenv"
)

// Answerer is a go-micro handler whose one method answers with the go-micro
// code it is sent: 200 is success, anything else an error of that code.
type Answerer struct{}

func (Answerer) Answer(_ context.Context, req *wrapperspb.Int32Value, _ *emptypb.Empty) error {
	if req.GetValue() == http.StatusOK {
		return nil
	}
	return microerrors.New("shippy.test", "asked for it", req.GetValue())
}

// answer calls Answerer.Answer on the service name through c.
func answer(t *testing.T, c client.Client, name string, code int32) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := c.NewRequest(name, "Answerer.Answer", wrapperspb.Int32(code))
	return c.Call(ctx, req, &emptypb.Empty{})
}

// startTelemetryService runs the service name with handlers hs, configured
// by env, on reg (a new memory registry when nil), with tracing tr (from the
// configuration when nil), as startServiceWith does.
func startTelemetryService(t *testing.T, name string, env map[string]string, reg registry.Registry, tr *Tracing, setup func(*Service), hs ...any) *running {
	t.Helper()
	return startServiceWith(t, name, serviceOptions{env: env, reg: reg, tracing: tr, setup: setup, handlers: hs})
}

// scrape fetches and parses the metrics the service serves.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	rsp, err := http.Get("http://" + addr + MetricsPath)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(rsp.Body)
		t.Fatalf("scrape: %s: %s", rsp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rsp.Body)
	if err != nil {
		t.Fatalf("scrape: parse: %v", err)
	}
	return families
}

// metric returns the metric of family name whose labels are exactly want,
// or nil.
func metric(families map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		got := make(map[string]string)
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

func TestRPCMetricsServed(t *testing.T) {
	const name = "shippy.test.metrics"
	svc := startTelemetryService(t, name, map[string]string{EnvMetricsAddress: "127.0.0.1:0"}, nil, nil, nil, Answerer{})
	addr := svc.MetricsAddress()
	if addr == "" {
		t.Fatal("MetricsAddress() is empty with METRICS_ADDRESS set")
	}
	if !strings.Contains(svc.logs.String(), `"metrics_address":"`+addr+`"`) {
		t.Errorf("the service started line does not give metrics_address %s:\n%s", addr, svc.logs)
	}

	c := NewClient(svc.reg)
	calls := map[int32]int{http.StatusOK: 3, http.StatusPreconditionFailed: 2, http.StatusNotFound: 1}
	for code, n := range calls {
		for range n {
			err := answer(t, c, name, code)
			if got := microCode(err); got != code {
				t.Fatalf("Answer(%d) = %v, want code %d", code, err, code)
			}
		}
	}

	families := scrape(t, addr)
	for code, n := range calls {
		labels := map[string]string{"service": name, "method": "Answerer.Answer", "code": strconv.Itoa(int(code))}
		if m := metric(families, "shippy_rpc_requests_total", labels); m == nil {
			t.Errorf("no shippy_rpc_requests_total%v", labels)
		} else if got := m.GetCounter().GetValue(); got != float64(n) {
			t.Errorf("shippy_rpc_requests_total%v = %v, want %d", labels, got, n)
		}
		m := metric(families, "shippy_rpc_duration_seconds", labels)
		if m == nil {
			t.Errorf("no shippy_rpc_duration_seconds%v", labels)
			continue
		}
		h := m.GetHistogram()
		if got := h.GetSampleCount(); got != uint64(n) {
			t.Errorf("shippy_rpc_duration_seconds%v count = %d, want %d", labels, got, n)
		}
		// The text format adds the +Inf bucket.
		buckets := h.GetBucket()
		if got, want := len(buckets), len(RPCDurationBuckets)+1; got != want {
			t.Errorf("shippy_rpc_duration_seconds%v has %d buckets, want %d", labels, got, want)
			continue
		}
		if b := buckets[len(buckets)-2]; b.GetUpperBound() != 10 || b.GetCumulativeCount() != uint64(n) {
			t.Errorf("shippy_rpc_duration_seconds%v: %d calls under %vs, want all %d under 10s",
				labels, b.GetCumulativeCount(), b.GetUpperBound(), n)
		}
	}
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if families[family] == nil {
			t.Errorf("no %s: the Go and process collectors are not registered", family)
		}
	}
}

// TestServiceMetricsRegisterer registers a collector of the service's own
// through Metrics and finds it in the scrape.
func TestServiceMetricsRegisterer(t *testing.T) {
	setup := func(s *Service) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "shippy_test_things_total", Help: "Things."})
		if err := s.Metrics().Register(c); err != nil {
			t.Fatal(err)
		}
		c.Add(7)
	}
	svc := startTelemetryService(t, "shippy.test.registerer", map[string]string{EnvMetricsAddress: "127.0.0.1:0"}, nil, nil, setup)
	m := metric(scrape(t, svc.MetricsAddress()), "shippy_test_things_total", map[string]string{})
	if got := m.GetCounter().GetValue(); got != 7 {
		t.Errorf("shippy_test_things_total = %v, want 7", got)
	}
}

func TestMetricsOff(t *testing.T) {
	svc := startTelemetryService(t, "shippy.test.nometrics", nil, nil, nil, nil, Answerer{})
	if got := svc.MetricsAddress(); got != "" {
		t.Errorf("MetricsAddress() = %q with METRICS_ADDRESS unset, want none", got)
	}
	if strings.Contains(svc.logs.String(), "metrics_address") {
		t.Errorf("the service logs a metrics address with METRICS_ADDRESS unset:\n%s", svc.logs)
	}
	if err := answer(t, NewClient(svc.reg), "shippy.test.nometrics", http.StatusOK); err != nil {
		t.Errorf("call with metrics off: %v", err)
	}
}

func TestMetricsServerStopsWithService(t *testing.T) {
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvServerAddress: "127.0.0.1:0", EnvMetricsAddress: "127.0.0.1:0"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.SyncBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc, err := newService(ctx, "shippy.test.metricsstop", cfg, NewLogger(logs, slog.LevelDebug), registry.NewMemoryRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- svc.Run() }()
	testenv.WaitFor(t, "the metrics server", func() bool { return svc.MetricsAddress() != "" })
	addr := svc.MetricsAddress()
	scrape(t, addr)

	stop()
	if err := testenv.Receive(t, "Run to return after the stop", ran, 15*time.Second); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if got := svc.MetricsAddress(); got != "" {
		t.Errorf("MetricsAddress() = %q after Run returned, want none", got)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("metrics address %s still accepts connections after Run returned", addr)
	}
}

func TestMetricsAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvServerAddress: "127.0.0.1:0", EnvMetricsAddress: ln.Addr().String()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc, err := newService(ctx, "shippy.test.metricsbusy", cfg, NewLogger(io.Discard, slog.LevelDebug), registry.NewMemoryRegistry())
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Run()
	if err == nil || !strings.Contains(err.Error(), EnvMetricsAddress) {
		t.Errorf("Run() with METRICS_ADDRESS in use = %v, want an error naming %s", err, EnvMetricsAddress)
	}
}

// TestRPCMetricsCountRefusedCalls checks the order of the wrappers: a call
// refused while draining is counted too.
func TestRPCMetricsCountRefusedCalls(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := newRPCMetrics(reg, "shippy.test")
	if err != nil {
		t.Fatal(err)
	}
	d := micro.NewDrainer("shippy.test")
	d.Begin()
	handler := m.wrap(d.Wrap(func(context.Context, server.Request, any) error { return nil }))
	if err := handler(context.Background(), fakeRequest{endpoint: "Test.Call"}, nil); microCode(err) != http.StatusServiceUnavailable {
		t.Fatalf("call while draining = %v, want 503", err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]*dto.MetricFamily)
	for _, f := range families {
		byName[f.GetName()] = f
	}
	labels := map[string]string{"service": "shippy.test", "method": "Test.Call", "code": "503"}
	if got := metric(byName, "shippy_rpc_requests_total", labels).GetCounter().GetValue(); got != 1 {
		t.Errorf("shippy_rpc_requests_total%v = %v, want 1", labels, got)
	}
}
