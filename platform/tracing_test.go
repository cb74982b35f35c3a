package platform

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/otlptest"
)

// recordingTracing is tracing whose spans stay in the returned recorder.
func recordingTracing() (*Tracing, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	return newTracing(tp, tp.Shutdown), rec
}

// Back is a go-micro handler that answers with the traceparent it was sent
// and the trace id its context holds.
type Back struct{}

func (Back) Echo(ctx context.Context, _ *wrapperspb.StringValue, rsp *wrapperspb.StringValue) error {
	md, _ := metadata.FromContext(ctx)
	rsp.Value = md["traceparent"] + " " + trace.SpanContextFromContext(ctx).TraceID().String()
	return nil
}

// Front is a go-micro handler that relays each call to Back.
type Front struct {
	client client.Client // the service's own, set before Run
}

func (f *Front) Relay(ctx context.Context, req *wrapperspb.StringValue, rsp *wrapperspb.StringValue) error {
	return f.client.Call(ctx, f.client.NewRequest("shippy.test.back", "Back.Echo", req), rsp)
}

// relay starts Back (traced by tr) and Front (traced by frontTracing),
// in process over a memory registry, and calls Front.Relay, which calls
// Back.Echo, under a root span of tr. It returns Back's answer (the
// traceparent it got, a space, the trace of its context) and the root
// span's context.
func relay(t *testing.T, tr, frontTracing *Tracing) (string, trace.SpanContext) {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	// One at a time: go-micro's package-level defaults.
	startTelemetryService(t, "shippy.test.back", nil, reg, tr, nil, Back{})
	front := &Front{}
	startTelemetryService(t, "shippy.test.front", nil, reg, frontTracing, func(s *Service) { front.client = s.Client() }, front)

	c := NewClient(reg, client.WrapCall(tr.WrapCall))
	ctx, root := tr.TracerProvider().Tracer("test").Start(context.Background(), "root")
	var rsp wrapperspb.StringValue
	err := c.Call(ctx, c.NewRequest("shippy.test.front", "Front.Relay", wrapperspb.String("hi")), &rsp)
	root.End()
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	return rsp.GetValue(), root.SpanContext()
}

// TestTracePropagation calls a service that calls another, all in process
// over a memory registry and real go-micro gRPC clients and servers, and
// checks that the four spans of the two hops form one trace under the
// caller's span.
func TestTracePropagation(t *testing.T) {
	tr, rec := recordingTracing()
	rsp, root := relay(t, tr, tr)
	traceID := root.TraceID()

	// Back saw a traceparent under its lower-case key, of this trace.
	traceparent, seen, _ := strings.Cut(rsp, " ")
	if !strings.Contains(traceparent, traceID.String()) {
		t.Errorf("Back got traceparent %q, want one of trace %s", traceparent, traceID)
	}
	if seen != traceID.String() {
		t.Errorf("Back's context holds trace %s, want %s", seen, traceID)
	}

	spans := make(map[string]sdktrace.ReadOnlySpan) // by kind and name
	for _, s := range rec.Ended() {
		spans[s.SpanKind().String()+" "+s.Name()] = s
	}
	chain := []struct{ kind, name string }{
		{"internal", "root"},
		{"client", "Front.Relay"},
		{"server", "Front.Relay"},
		{"client", "Back.Echo"},
		{"server", "Back.Echo"},
	}
	var parent trace.SpanContext
	for i, want := range chain {
		s, ok := spans[want.kind+" "+want.name]
		if !ok {
			t.Fatalf("no %s span %q; ended: %v", want.kind, want.name, keys(spans))
		}
		if got := s.SpanContext().TraceID(); got != traceID {
			t.Errorf("%s span %q: trace %s, want %s", want.kind, want.name, got, traceID)
		}
		if i > 0 && s.Parent().SpanID() != parent.SpanID() {
			t.Errorf("%s span %q: parent %s, want %s (%s %q)", want.kind, want.name,
				s.Parent().SpanID(), parent.SpanID(), chain[i-1].kind, chain[i-1].name)
		}
		if want.kind == "server" && !s.Parent().IsRemote() {
			t.Errorf("server span %q: parent is not remote", want.name)
		}
		parent = s.SpanContext()
	}
}

// TestTracePropagationThroughUntracedService passes a call through a
// service with tracing off, which installs no tracing wrappers: go-micro
// forwards the trace context it came with, so the next service, traced,
// continues the caller's trace.
func TestTracePropagationThroughUntracedService(t *testing.T) {
	tr, _ := recordingTracing()
	off, err := NewTracing(context.Background(), "shippy.test.off", Config{}, NewLogger(io.Discard, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	rsp, root := relay(t, tr, off)
	traceID := root.TraceID()
	if _, seen, _ := strings.Cut(rsp, " "); seen != traceID.String() {
		t.Errorf("Back's context holds trace %s, want the caller's %s", seen, traceID)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fakeRequest is a go-micro server and client request that only has an
// endpoint.
type fakeRequest struct {
	server.Request
	endpoint string
}

func (r fakeRequest) Endpoint() string { return r.endpoint }

type fakeClientRequest struct {
	client.Request
	endpoint string
}

func (r fakeClientRequest) Endpoint() string { return r.endpoint }

// TestRPCSpanStatus checks microCode, the go-micro code of a handler's
// answer that the RPC metrics and spans record, and the status each side's
// span gets for it.
func TestRPCSpanStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		err            error
		code           int32
		server, client codes.Code // the span statuses wanted
	}{
		{"success", nil, 200, codes.Unset, codes.Unset},
		{"client error", microerrors.New("x", "no room", http.StatusPreconditionFailed), 412, codes.Unset, codes.Error},
		{"wrapped client error", errors.Join(errors.New("context"), microerrors.New("x", "gone", http.StatusNotFound)), 404, codes.Unset, codes.Error},
		{"unavailable", microerrors.New("x", "draining", http.StatusServiceUnavailable), 503, codes.Error, codes.Error},
		{"plain error", errors.New("boom"), 500, codes.Error, codes.Error},
		{"go-micro error without a code", &microerrors.Error{Detail: "odd"}, 500, codes.Error, codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := microCode(tt.err); got != tt.code {
				t.Errorf("microCode(%v) = %d, want %d", tt.err, got, tt.code)
			}
			tr, rec := recordingTracing()
			handle := tr.WrapHandler(func(context.Context, server.Request, any) error { return tt.err })
			if err := handle(context.Background(), fakeRequest{endpoint: "Test.Call"}, nil); err != tt.err {
				t.Errorf("handler returned %v, want %v", err, tt.err)
			}
			call := tr.WrapCall(func(context.Context, *registry.Node, client.Request, any, client.CallOptions) error { return tt.err })
			if err := call(context.Background(), &registry.Node{Address: "127.0.0.1:8080"}, fakeClientRequest{endpoint: "Test.Call"}, nil, client.CallOptions{}); err != tt.err {
				t.Errorf("call returned %v, want %v", err, tt.err)
			}
			for _, s := range rec.Ended() {
				want := tt.client
				if s.SpanKind() == trace.SpanKindServer {
					want = tt.server
				}
				if got := s.Status().Code; got != want {
					t.Errorf("%s span status %s, want %s", s.SpanKind(), got, want)
				}
				if got, want := attr(s, "rpc.response.status_code"), strconv.Itoa(int(tt.code)); got != want {
					t.Errorf("%s span rpc.response.status_code = %q, want %q", s.SpanKind(), got, want)
				}
				if got := attr(s, "rpc.method"); got != "Test.Call" {
					t.Errorf("%s span rpc.method = %q, want Test.Call", s.SpanKind(), got)
				}
			}
			if got := len(rec.Ended()); got != 2 {
				t.Errorf("%d spans ended, want 2", got)
			}
		})
	}
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// TestWrapCallMetadata checks that a call carries its span's trace context
// and leaves the caller's metadata as it was.
func TestWrapCallMetadata(t *testing.T) {
	t.Parallel()
	tr, rec := recordingTracing()
	callerMD := metadata.Metadata{"traceparent": "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", "user": "u1"}
	ctx := metadata.NewContext(context.Background(), callerMD)
	var sent metadata.Metadata
	call := tr.WrapCall(func(ctx context.Context, _ *registry.Node, _ client.Request, _ any, _ client.CallOptions) error {
		sent, _ = metadata.FromContext(ctx)
		return nil
	})
	if err := call(ctx, &registry.Node{Address: "127.0.0.1:1"}, fakeClientRequest{endpoint: "Test.Call"}, nil, client.CallOptions{}); err != nil {
		t.Fatal(err)
	}
	span := rec.Ended()[0].SpanContext()
	want := "00-" + span.TraceID().String() + "-" + span.SpanID().String() + "-01"
	if got := sent["traceparent"]; got != want {
		t.Errorf("sent traceparent %q, want %q (the client span's)", got, want)
	}
	if sent["user"] != "u1" {
		t.Errorf("sent metadata %v lost the caller's", sent)
	}
	if got := callerMD["traceparent"]; got != "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01" {
		t.Errorf("the caller's metadata was changed: traceparent %q", got)
	}
}

func TestTracingOff(t *testing.T) {
	t.Parallel()
	tr, err := NewTracing(context.Background(), "shippy.test", Config{}, NewLogger(io.Discard, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled() {
		t.Error("Enabled() = true with no endpoint, want false")
	}
	_, span := tr.TracerProvider().Tracer("test").Start(context.Background(), "x")
	if span.IsRecording() {
		t.Error("a span records with tracing off")
	}
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
}

// TestTracingExportsOnShutdown exports over OTLP/gRPC to a receiver in the
// test: Shutdown sends the spans the batcher still holds.
func TestTracingExportsOnShutdown(t *testing.T) {
	t.Parallel()
	r := otlptest.Start(t)
	tr, err := NewTracing(context.Background(), "shippy.test.export", Config{TracesEndpoint: "http://" + r.Addr}, NewLogger(io.Discard, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Enabled() {
		t.Error("Enabled() = false with an endpoint, want true")
	}
	if err := spanThenShutdown(tr, 10*time.Second); err != nil {
		t.Fatalf("Shutdown() = %v", err)
	}
	var got []string // "service.name/span"
	for _, span := range r.Spans() {
		got = append(got, span.Service+"/"+span.GetName())
	}
	if want := []string{"shippy.test.export/work"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("received %v, want %v", got, want)
	}
}

// TestTracingLogsExportFailure exports to a port nobody listens on: the
// failure is logged once.
func TestTracingLogsExportFailure(t *testing.T) {
	// The exporter reads its timeout from the process environment (so not
	// parallel): an export gives up after 200 ms instead of 10 s.
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "200")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs := &testenv.SyncBuffer{}
	tr, err := NewTracing(context.Background(), "shippy.test.down", Config{TracesEndpoint: "http://" + addr}, NewLogger(logs, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	if err := spanThenShutdown(tr, 5*time.Second); err != nil {
		t.Errorf("Shutdown() = %v, want nil: the failure is logged", err)
	}
	if got := strings.Count(logs.String(), "trace export failed"); got != 1 {
		t.Errorf("logged %d export failures, want 1:\n%s", got, logs)
	}
}

// spanThenShutdown ends one span named "work" and shuts tr down, giving the
// export at most timeout; it returns Shutdown's error.
func spanThenShutdown(tr *Tracing, timeout time.Duration) error {
	_, span := tr.TracerProvider().Tracer("test").Start(context.Background(), "work")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return tr.Shutdown(ctx)
}

func TestLoadConfigTelemetry(t *testing.T) {
	t.Parallel()
	// telemetry is the part of Config these cases set.
	type telemetry struct{ MetricsAddress, TracesEndpoint string }
	load := func(getenv func(string) string) (telemetry, error) {
		cfg, err := LoadConfig(getenv)
		return telemetry{cfg.MetricsAddress, cfg.TracesEndpoint}, err
	}
	testenv.CheckConfigs(t, load, []testenv.ConfigCase[telemetry]{
		{Name: "off by default"},
		{Name: "metrics", Env: map[string]string{EnvMetricsAddress: ":9100"}, Want: telemetry{MetricsAddress: ":9100"}},
		{Name: "bad metrics address", Env: map[string]string{EnvMetricsAddress: "9100"}, WantErr: `METRICS_ADDRESS: "9100" is not host:port`},
		{
			Name: "otlp endpoint",
			Env:  map[string]string{EnvOTLPEndpoint: "http://collector:4317"},
			Want: telemetry{TracesEndpoint: "http://collector:4317"},
		},
		{
			Name: "traces endpoint wins",
			Env:  map[string]string{EnvOTLPEndpoint: "http://collector:4317", EnvOTLPTracesEndpoint: "https://traces:4317"},
			Want: telemetry{TracesEndpoint: "https://traces:4317"},
		},
		{
			Name:    "endpoint without scheme",
			Env:     map[string]string{EnvOTLPEndpoint: "collector:4317"},
			WantErr: `OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4317" is not an http:// or https:// URL`,
		},
		{
			Name:    "bad traces endpoint",
			Env:     map[string]string{EnvOTLPTracesEndpoint: "grpc://traces"},
			WantErr: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ",
		},
	})
}
