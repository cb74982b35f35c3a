package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestTracer(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	errAnswer, errBroken := errors.New("not found"), errors.New("disk on fire")
	tracer := NewTracer(tp, "test/scope", "ThingStore", SystemBolt, errors.ErrUnsupported, errAnswer)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "call")

	if err := Trace(ctx, tracer, "Put", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := Trace1(ctx, tracer, "Get", func(context.Context) (int, error) { return 0, fmt.Errorf("get: %w", errAnswer) }); !errors.Is(err, errAnswer) {
		t.Fatalf("Trace1 = %v, want the call's error", err)
	}
	a, b, err := Trace2(ctx, tracer, "List", func(ctx context.Context) (int, string, error) {
		if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
			t.Error("the call's context carries no span")
		}
		return 1, "next", errBroken
	})
	if a != 1 || b != "next" || !errors.Is(err, errBroken) {
		t.Fatalf("Trace2 = %d, %q, %v; want the call's results", a, b, err)
	}
	parent.End()

	type span struct {
		name   string
		code   codes.Code
		answer string
	}
	want := []span{
		{"ThingStore.Put", codes.Unset, ""},
		{"ThingStore.Get", codes.Unset, "get: not found"},
		{"ThingStore.List", codes.Error, ""},
	}
	ended := rec.Ended()
	if len(ended) != len(want)+1 {
		t.Fatalf("%d spans ended, want %d", len(ended), len(want)+1)
	}
	for i, w := range want {
		s := ended[i]
		attrs := attribute.NewSet(s.Attributes()...)
		answer, _ := attrs.Value("shippy.store.answer")
		if got := (span{s.Name(), s.Status().Code, answer.AsString()}); got != w {
			t.Errorf("span %d = %+v, want %+v", i, got, w)
		}
		if system, _ := attrs.Value("db.system.name"); system.AsString() != SystemBolt {
			t.Errorf("%s: db.system.name %q, want %q", s.Name(), system.AsString(), SystemBolt)
		}
		if s.SpanKind() != trace.SpanKindClient || s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s: kind %s, parent %s; want a client span of the caller's span", s.Name(), s.SpanKind(), s.Parent().SpanID())
		}
		if s.InstrumentationScope().Name != "test/scope" {
			t.Errorf("%s: scope %q, want test/scope", s.Name(), s.InstrumentationScope().Name)
		}
	}
}
