package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TracerName is the instrumentation scope of the store spans.
const TracerName = "github.com/shippy-suite/shippy/shippy-service-vessel/telemetry"

// TraceRepository returns repo with a span around every call (see
// store.NewTracer), named "VesselStore.<Method>", with db.system.name set
// to system ("bbolt", "mongodb"). Not found, no room, conflict and already
// booked are answers, not errors. Use it only when tracing is on
// (platform.Service.TracingEnabled).
func TraceRepository(repo vessel.Repository, tp trace.TracerProvider, system string) vessel.Repository {
	return &tracedRepository{repo: repo, tracer: store.NewTracer(tp, TracerName, "VesselStore", system,
		vessel.ErrNotFound, vessel.ErrNoRoom, vessel.ErrConflict, vessel.ErrAlreadyBooked)}
}

// tracedRepository is the repository of TraceRepository.
type tracedRepository struct {
	repo   vessel.Repository
	tracer *store.Tracer
}

var _ vessel.Repository = (*tracedRepository)(nil)

func (r *tracedRepository) Create(ctx context.Context, v vessel.Vessel) error {
	return store.Trace(ctx, r.tracer, "Create", func(ctx context.Context) error { return r.repo.Create(ctx, v) })
}

func (r *tracedRepository) Get(ctx context.Context, id string) (vessel.Vessel, error) {
	return store.Trace1(ctx, r.tracer, "Get", func(ctx context.Context) (vessel.Vessel, error) { return r.repo.Get(ctx, id) })
}

func (r *tracedRepository) List(ctx context.Context) ([]vessel.Vessel, error) {
	return store.Trace1(ctx, r.tracer, "List", r.repo.List)
}

func (r *tracedRepository) TakeRoom(ctx context.Context, b vessel.Booking) (vessel.Vessel, error) {
	return store.Trace1(ctx, r.tracer, "TakeRoom", func(ctx context.Context) (vessel.Vessel, error) { return r.repo.TakeRoom(ctx, b) })
}

func (r *tracedRepository) FindBooking(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	return store.Trace1(ctx, r.tracer, "FindBooking", func(ctx context.Context) (vessel.Booking, error) {
		return r.repo.FindBooking(ctx, consignmentID)
	})
}

func (r *tracedRepository) ReleaseRoom(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	return store.Trace1(ctx, r.tracer, "ReleaseRoom", func(ctx context.Context) (vessel.Booking, error) {
		return r.repo.ReleaseRoom(ctx, consignmentID)
	})
}

// BookHeld's span covers the batch: an item refused does not make it an
// error.
func (r *tracedRepository) BookHeld(ctx context.Context, reqs []vessel.BookRequest, hold vessel.Hold, now time.Time) ([]vessel.BookOutcome, error) {
	return store.Trace1(ctx, r.tracer, "BookHeld", func(ctx context.Context) ([]vessel.BookOutcome, error) {
		return r.repo.BookHeld(ctx, reqs, hold, now)
	})
}

func (r *tracedRepository) Confirm(ctx context.Context, consignmentIDs []string) (int, error) {
	return store.Trace1(ctx, r.tracer, "Confirm", func(ctx context.Context) (int, error) {
		return r.repo.Confirm(ctx, consignmentIDs)
	})
}

func (r *tracedRepository) ListExpiredHolds(ctx context.Context, holder string, now time.Time, limit int) ([]vessel.Booking, error) {
	return store.Trace1(ctx, r.tracer, "ListExpiredHolds", func(ctx context.Context) ([]vessel.Booking, error) {
		return r.repo.ListExpiredHolds(ctx, holder, now, limit)
	})
}

func (r *tracedRepository) ReleaseExpiredHold(ctx context.Context, consignmentID string, now time.Time) (bool, error) {
	return store.Trace1(ctx, r.tracer, "ReleaseExpiredHold", func(ctx context.Context) (bool, error) {
		return r.repo.ReleaseExpiredHold(ctx, consignmentID, now)
	})
}
