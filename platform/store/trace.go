package store

import (
	"context"
	"errors"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Tracer makes the spans of a repository's calls, for a service's tracing
// decorator of its repository: one method a line, each calling Trace,
// Trace1 or Trace2. It is safe for concurrent use.
//
// Make spans only when tracing is on (platform.Service.TracingEnabled):
// even a no-op tracer walks the call's whole context chain on every call.
type Tracer struct {
	tracer  trace.Tracer
	prefix  string
	system  attribute.KeyValue
	answers []error
}

// NewTracer returns a Tracer whose spans come from tp's tracer named scope
// and are named "<name>.<Method>" ("VesselStore.Get"): client spans,
// children of the call's span, with db.system.name set to system and
// db.operation.name to the method. answers are the errors the
// repository's contract names (not found, conflict): a call that fails
// with an error that matches one (errors.Is) is an answer, recorded as the
// attribute shippy.store.answer; only the other errors set the span's
// status to Error.
func NewTracer(tp trace.TracerProvider, scope, name, system string, answers ...error) *Tracer {
	return &Tracer{
		tracer:  tp.Tracer(scope),
		prefix:  name + ".",
		system:  attribute.String("db.system.name", system),
		answers: answers,
	}
}

func (t *Tracer) start(ctx context.Context, method string) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, t.prefix+method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(t.system, attribute.String("db.operation.name", method)),
	)
}

// end ends span with err's outcome.
func (t *Tracer) end(span trace.Span, err error) {
	switch {
	case err == nil:
	case slices.ContainsFunc(t.answers, func(answer error) bool { return errors.Is(err, answer) }):
		span.SetAttributes(attribute.String("shippy.store.answer", err.Error()))
	default:
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Trace calls fn, the method of a repository, in a span of its own (see
// NewTracer), and returns fn's error.
func Trace(ctx context.Context, t *Tracer, method string, fn func(context.Context) error) (err error) {
	ctx, span := t.start(ctx, method)
	defer func() { t.end(span, err) }()
	return fn(ctx)
}

// Trace1 is Trace for a method with a result.
func Trace1[A any](ctx context.Context, t *Tracer, method string, fn func(context.Context) (A, error)) (_ A, err error) {
	ctx, span := t.start(ctx, method)
	defer func() { t.end(span, err) }()
	return fn(ctx)
}

// Trace2 is Trace for a method with two results.
func Trace2[A, B any](ctx context.Context, t *Tracer, method string, fn func(context.Context) (A, B, error)) (_ A, _ B, err error) {
	ctx, span := t.start(ctx, method)
	defer func() { t.end(span, err) }()
	return fn(ctx)
}
