package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TracerName is the instrumentation scope of the store spans.
const TracerName = "github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"

// TraceRepository returns repo with a span around every call, named
// "VesselStore.<Method>", a child of the call's span, with db.system.name
// set to system ("bbolt", "mongodb"). A call that fails with an error its
// contract names (not found, no room, conflict, already booked) is an
// answer, recorded as the attribute shippy.store.answer: only the other
// errors set the span's status to Error.
// Use it only when tracing is on (platform.Service.TracingEnabled): even a
// no-op tracer walks the call's whole context chain on every call.
func TraceRepository(repo vessel.Repository, tp trace.TracerProvider, system string) vessel.Repository {
	return &tracedRepository{
		repo:   repo,
		tracer: tp.Tracer(TracerName),
		system: attribute.String("db.system.name", system),
	}
}

type tracedRepository struct {
	repo   vessel.Repository
	tracer trace.Tracer
	system attribute.KeyValue
}

var _ vessel.Repository = (*tracedRepository)(nil)

func (r *tracedRepository) start(ctx context.Context, method string) (context.Context, trace.Span) {
	return r.tracer.Start(ctx, "VesselStore."+method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(r.system, attribute.String("db.operation.name", method)),
	)
}

// end ends span with err's status.
func end(span trace.Span, err error) {
	switch {
	case err == nil:
	case errors.Is(err, vessel.ErrNotFound), errors.Is(err, vessel.ErrNoRoom),
		errors.Is(err, vessel.ErrConflict), errors.Is(err, vessel.ErrAlreadyBooked):
		span.SetAttributes(attribute.String("shippy.store.answer", err.Error()))
	default:
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

func (r *tracedRepository) Create(ctx context.Context, v vessel.Vessel) (err error) {
	ctx, span := r.start(ctx, "Create")
	defer func() { end(span, err) }()
	return r.repo.Create(ctx, v)
}

func (r *tracedRepository) Get(ctx context.Context, id string) (_ vessel.Vessel, err error) {
	ctx, span := r.start(ctx, "Get")
	defer func() { end(span, err) }()
	return r.repo.Get(ctx, id)
}

func (r *tracedRepository) List(ctx context.Context) (_ []vessel.Vessel, err error) {
	ctx, span := r.start(ctx, "List")
	defer func() { end(span, err) }()
	return r.repo.List(ctx)
}

func (r *tracedRepository) TakeRoom(ctx context.Context, b vessel.Booking) (_ vessel.Vessel, err error) {
	ctx, span := r.start(ctx, "TakeRoom")
	defer func() { end(span, err) }()
	return r.repo.TakeRoom(ctx, b)
}

func (r *tracedRepository) FindBooking(ctx context.Context, consignmentID string) (_ vessel.Booking, err error) {
	ctx, span := r.start(ctx, "FindBooking")
	defer func() { end(span, err) }()
	return r.repo.FindBooking(ctx, consignmentID)
}

func (r *tracedRepository) ReleaseRoom(ctx context.Context, consignmentID string) (_ vessel.Booking, err error) {
	ctx, span := r.start(ctx, "ReleaseRoom")
	defer func() { end(span, err) }()
	return r.repo.ReleaseRoom(ctx, consignmentID)
}
