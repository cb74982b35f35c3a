// Package telemetry is the consignment service's own tracing: a decorator
// of the consignment.Repository that makes a span of every store call. The
// platform makes the spans of the calls the service answers and makes; the
// domain package stays free of tracing.
package telemetry

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// TracerName is the instrumentation scope of the store spans.
const TracerName = "github.com/shippy-suite/shippy/shippy-service-consignment/telemetry"

// TraceRepository returns repo with a span around every call, named
// "ConsignmentStore.<Method>", a child of the call's span, with
// db.system.name set to system ("bbolt", "mongodb"). A call that fails with
// an error its contract names (not found, conflict, an invalid page token)
// is an answer, recorded as the attribute shippy.store.answer: only the
// other errors set the span's status to Error.
// Use it only when tracing is on (platform.Service.TracingEnabled): even a
// no-op tracer walks the call's whole context chain on every call.
func TraceRepository(repo consignment.Repository, tp trace.TracerProvider, system string) consignment.Repository {
	return &tracedRepository{
		repo:   repo,
		tracer: tp.Tracer(TracerName),
		system: attribute.String("db.system.name", system),
	}
}

type tracedRepository struct {
	repo   consignment.Repository
	tracer trace.Tracer
	system attribute.KeyValue
}

var _ consignment.Repository = (*tracedRepository)(nil)

func (r *tracedRepository) start(ctx context.Context, method string) (context.Context, trace.Span) {
	return r.tracer.Start(ctx, "ConsignmentStore."+method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(r.system, attribute.String("db.operation.name", method)),
	)
}

// end ends span with err's status.
func end(span trace.Span, err error) {
	switch {
	case err == nil:
	case errors.Is(err, consignment.ErrNotFound), errors.Is(err, consignment.ErrConflict),
		errors.Is(err, consignment.ErrInvalid):
		span.SetAttributes(attribute.String("shippy.store.answer", err.Error()))
	default:
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

func (r *tracedRepository) Create(ctx context.Context, c consignment.Consignment) (err error) {
	ctx, span := r.start(ctx, "Create")
	defer func() { end(span, err) }()
	return r.repo.Create(ctx, c)
}

func (r *tracedRepository) Get(ctx context.Context, id string) (_ consignment.Consignment, err error) {
	ctx, span := r.start(ctx, "Get")
	defer func() { end(span, err) }()
	return r.repo.Get(ctx, id)
}

func (r *tracedRepository) List(ctx context.Context, limit int, pageToken string) (_ []consignment.Consignment, _ string, err error) {
	ctx, span := r.start(ctx, "List")
	defer func() { end(span, err) }()
	return r.repo.List(ctx, limit, pageToken)
}

func (r *tracedRepository) TransferLease(ctx context.Context, id, owner string, next consignment.Lease) (_ consignment.Lease, err error) {
	ctx, span := r.start(ctx, "TransferLease")
	defer func() { end(span, err) }()
	return r.repo.TransferLease(ctx, id, owner, next)
}

func (r *tracedRepository) MarkBooked(ctx context.Context, id, owner, vesselID string) (err error) {
	ctx, span := r.start(ctx, "MarkBooked")
	defer func() { end(span, err) }()
	return r.repo.MarkBooked(ctx, id, owner, vesselID)
}

func (r *tracedRepository) DeletePending(ctx context.Context, id, owner string) (err error) {
	ctx, span := r.start(ctx, "DeletePending")
	defer func() { end(span, err) }()
	return r.repo.DeletePending(ctx, id, owner)
}

func (r *tracedRepository) ListPending(ctx context.Context, t time.Time, limit int) (_ []consignment.Consignment, err error) {
	ctx, span := r.start(ctx, "ListPending")
	defer func() { end(span, err) }()
	return r.repo.ListPending(ctx, t, limit)
}
