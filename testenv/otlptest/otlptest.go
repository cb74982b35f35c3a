// Package otlptest is an OTLP/gRPC trace collector for tests: it keeps the
// spans it is sent, with the service that sent each.
package otlptest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// Span is a span as the collector received it.
type Span struct {
	*tracepb.Span
	// Service is the service.name of the resource that sent the span.
	Service string
}

// Key names the span by its service, kind and name:
// "shippy.service.vessel server VesselService.Book".
func (s Span) Key() string {
	kind := strings.ToLower(strings.TrimPrefix(s.Kind.String(), "SPAN_KIND_"))
	return s.Service + " " + kind + " " + s.GetName()
}

func (s Span) String() string { return s.Key() }

// Collector is an OTLP/gRPC trace collector. Its methods are safe for
// concurrent use.
type Collector struct {
	collectortracepb.UnimplementedTraceServiceServer
	// Addr is the address it listens on, host:port on 127.0.0.1.
	Addr string

	mu       sync.Mutex
	received []Span
}

// Start serves a collector on 127.0.0.1 until t ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{Addr: ln.Addr().String()}
	srv := grpc.NewServer()
	collectortracepb.RegisterTraceServiceServer(srv, c)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return c
}

// Export keeps the spans of req.
func (c *Collector) Export(_ context.Context, req *collectortracepb.ExportTraceServiceRequest) (*collectortracepb.ExportTraceServiceResponse, error) {
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
				c.received = append(c.received, Span{Span: s, Service: service})
			}
		}
	}
	return &collectortracepb.ExportTraceServiceResponse{}, nil
}

// Spans returns the spans received so far, in the order they came.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.received...)
}
