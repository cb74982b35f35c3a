package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracerName is the instrumentation scope of the spans the platform starts.
const TracerName = "github.com/shippy-suite/shippy/platform"

// Tracing is a program's OpenTelemetry tracing: a tracer provider that
// exports over OTLP/gRPC, and go-micro wrappers that start a span per call
// and carry the W3C trace context (traceparent, tracestate) in the call's
// metadata. With tracing off (Enabled false) it is a no-op: spans are not
// recorded and nothing is exported. Install the wrappers, and spans of
// your own, only when it is on: even a no-op tracer looks for the parent
// span in every context it is given, a walk up go-micro's long chain of
// context values that costs a tenth of a service's CPU at full load. With
// the wrappers out, go-micro still passes on the trace context that came
// in, with the rest of the call's metadata.
//
// Nothing is set globally (otel.SetTracerProvider): code that makes spans
// of its own takes TracerProvider.
type Tracing struct {
	provider   trace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
	enabled    bool
}

// NewTracing returns the tracing cfg asks for. With cfg.TracesEndpoint
// empty, tracing is off: a no-op provider, no exporter, no goroutine.
// Otherwise spans are batched and exported over OTLP/gRPC to that endpoint
// (http:// without TLS, https:// with it) as the resource service.name =
// name, which OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES may override
// or add to. The exporter reads its other settings (OTEL_EXPORTER_OTLP_HEADERS,
// _CERTIFICATE, _TIMEOUT, _COMPRESSION and their _TRACES_ forms) and the SDK
// its own (OTEL_TRACES_SAMPLER, OTEL_BSP_*) from the process environment.
//
// Export failures are logged to logger, once each time exporting starts
// failing. Call Shutdown before the program exits: it sends the spans not
// yet exported.
func NewTracing(ctx context.Context, name string, cfg Config, logger *slog.Logger) (*Tracing, error) {
	if logger == nil {
		return nil, errors.New("new tracing: nil logger")
	}
	if cfg.TracesEndpoint == "" {
		off := newTracing(noop.NewTracerProvider(), nil)
		off.enabled = false
		return off, nil
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(name)),
		resource.WithFromEnv(), // last, so that OTEL_SERVICE_NAME wins
	)
	if err != nil {
		return nil, fmt.Errorf("new tracing: resource: %w", err)
	}
	// New does not connect: a collector that is down does not stop the
	// program from starting, and its spans are dropped while it is down.
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(cfg.TracesEndpoint))
	if err != nil {
		return nil, fmt.Errorf("new tracing: otlp exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&loggingExporter{SpanExporter: exp, logger: logger}),
		sdktrace.WithResource(res),
	)
	return newTracing(tp, tp.Shutdown), nil
}

// newTracing is tracing with tp, whose spans shutdown, if not nil, flushes.
// Tests give it a provider that records spans in memory.
func newTracing(tp trace.TracerProvider, shutdown func(context.Context) error) *Tracing {
	if shutdown == nil {
		shutdown = func(context.Context) error { return nil }
	}
	return &Tracing{
		provider:   tp,
		tracer:     tp.Tracer(TracerName),
		propagator: propagation.TraceContext{},
		shutdown:   shutdown,
		enabled:    true,
	}
}

// Enabled reports whether spans are recorded and exported: false when
// tracing is off.
func (t *Tracing) Enabled() bool { return t.enabled }

// TracerProvider is the provider of the program's spans; with tracing off,
// a no-op one.
func (t *Tracing) TracerProvider() trace.TracerProvider { return t.provider }

// Shutdown exports the spans that have ended and not been exported yet,
// within ctx, and stops exporting. Spans ended after it are dropped.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("tracing shutdown: %w", err)
	}
	return nil
}

// WrapCall is a go-micro client.CallWrapper (give it with client.WrapCall):
// every attempt of a call becomes a client span, a child of the span in the
// call's context, whose trace context the call carries to the server in
// its metadata. A span of a call that fails has status Error.
func (t *Tracing) WrapCall(next client.CallFunc) client.CallFunc {
	return func(ctx context.Context, node *registry.Node, req client.Request, rsp any, opts client.CallOptions) error {
		attrs := append(rpcAttributes(req.Endpoint()), peerAttributes(node)...)
		ctx, span := t.tracer.Start(ctx, req.Endpoint(),
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attrs...),
		)
		defer span.End()

		// FromContext returns a copy: the caller's metadata, which the
		// go-micro server also hands on from an incoming call, stays as it
		// is, and this call's traceparent replaces any that came in.
		md, ok := metadata.FromContext(ctx)
		if !ok {
			md = metadata.Metadata{}
		}
		t.propagator.Inject(ctx, metadataCarrier(md))
		err := next(metadata.NewContext(ctx, md), node, req, rsp, opts)
		endRPCSpan(span, err, true)
		return err
	}
}

// WrapHandler is a go-micro server.HandlerWrapper: every call becomes a
// server span, a child of the span whose trace context came in the call's
// metadata, if any, and its context reaches the handler. A span of a call
// answered with a server error (5xx) has status Error; the other errors are
// the client's and only recorded as the code.
func (t *Tracing) WrapHandler(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp any) error {
		if md, ok := metadata.FromContext(ctx); ok {
			ctx = t.propagator.Extract(ctx, metadataCarrier(md))
		}
		ctx, span := t.tracer.Start(ctx, req.Endpoint(),
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(rpcAttributes(req.Endpoint())...),
		)
		defer span.End()
		err := next(ctx, req, rsp)
		endRPCSpan(span, err, false)
		return err
	}
}

// rpcAttributes describe a call to the go-micro endpoint ("VesselService.Book").
func rpcAttributes(endpoint string) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.RPCSystemNameGRPC, semconv.RPCMethod(endpoint)}
}

// peerAttributes describe the instance a client calls.
func peerAttributes(node *registry.Node) []attribute.KeyValue {
	if node == nil {
		return nil
	}
	host, port, err := net.SplitHostPort(node.Address)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(node.Address)}
	}
	attrs := []attribute.KeyValue{semconv.ServerAddress(host)}
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	return attrs
}

// endRPCSpan records the answer's go-micro code on span (the code label of
// the RPC metrics, "200" for success), and status Error for a failed call:
// any failure on the client side, server errors (5xx) on the server side.
func endRPCSpan(span trace.Span, err error, client bool) {
	code := microCode(err)
	span.SetAttributes(semconv.RPCResponseStatusCode(strconv.Itoa(int(code))))
	if err != nil && (client || code >= 500) {
		span.SetStatus(codes.Error, err.Error())
	}
}

// metadataCarrier lets a propagator read and write go-micro metadata. Keys
// arrive lower-case over gRPC and as sent over other transports;
// Metadata.Get finds either.
type metadataCarrier metadata.Metadata

var _ propagation.TextMapCarrier = metadataCarrier(nil)

func (c metadataCarrier) Get(key string) string {
	v, _ := metadata.Metadata(c).Get(key)
	return v
}

func (c metadataCarrier) Set(key, value string) { c[key] = value }

func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// loggingExporter logs the export failures of the exporter it wraps, once
// each time exporting starts failing, instead of handing them to OTel's
// global error handler (which writes unstructured lines to stderr).
type loggingExporter struct {
	sdktrace.SpanExporter
	logger  *slog.Logger
	failing atomic.Bool
}

func (e *loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	switch {
	case err != nil && !e.failing.Swap(true):
		e.logger.Warn("trace export failed: spans are dropped until the collector answers",
			"spans", len(spans), "error", err)
	case err == nil && e.failing.Swap(false):
		e.logger.Info("trace export works again")
	}
	return nil
}
