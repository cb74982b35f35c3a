// Package telemetry is the consignment service's own tracing: a decorator
// of the consignment.Repository that makes a span of every store call. The
// platform makes the spans of the calls the service answers and makes; the
// domain package stays free of tracing.
package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// TracerName is the instrumentation scope of the store spans.
const TracerName = "github.com/shippy-suite/shippy/shippy-service-consignment/telemetry"

type tracedRepository struct {
	repo   consignment.Repository
	tracer *store.Tracer
}

var _ consignment.Repository = (*tracedRepository)(nil)

// TraceRepository returns repo with a span around every call (see
// store.NewTracer), named "ConsignmentStore.<Method>", with db.system.name
// set to system ("bbolt", "mongodb"). Not found, conflict and an invalid
// page token are answers, not errors. Use it only when tracing is on
// (platform.Service.TracingEnabled).
func TraceRepository(repo consignment.Repository, tp trace.TracerProvider, system string) consignment.Repository {
	tracer := store.NewTracer(tp, TracerName, "ConsignmentStore", system, consignment.ErrNotFound, consignment.ErrConflict, consignment.ErrInvalid)
	return &tracedRepository{repo: repo, tracer: tracer}
}

func (r *tracedRepository) Create(ctx context.Context, c consignment.Consignment, events ...outbox.Message) error {
	return store.Trace(ctx, r.tracer, "Create", func(ctx context.Context) error { return r.repo.Create(ctx, c, events...) })
}

func (r *tracedRepository) Get(ctx context.Context, id string) (consignment.Consignment, error) {
	return store.Trace1(ctx, r.tracer, "Get", func(ctx context.Context) (consignment.Consignment, error) { return r.repo.Get(ctx, id) })
}

func (r *tracedRepository) List(ctx context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error) {
	return store.Trace2(ctx, r.tracer, "List", func(ctx context.Context) ([]consignment.Consignment, string, error) {
		return r.repo.List(ctx, owner, limit, pageToken)
	})
}

func (r *tracedRepository) Cancel(ctx context.Context, id, owner string) (consignment.Consignment, error) {
	return store.Trace1(ctx, r.tracer, "Cancel", func(ctx context.Context) (consignment.Consignment, error) {
		return r.repo.Cancel(ctx, id, owner)
	})
}

func (r *tracedRepository) Holder(ctx context.Context) (string, error) {
	return store.Trace1(ctx, r.tracer, "Holder", func(ctx context.Context) (string, error) { return r.repo.Holder(ctx) })
}

func (r *tracedRepository) ClaimPending(ctx context.Context, id, owner string, next consignment.Lease) error {
	return store.Trace(ctx, r.tracer, "ClaimPending", func(ctx context.Context) error { return r.repo.ClaimPending(ctx, id, owner, next) })
}

func (r *tracedRepository) DeletePending(ctx context.Context, id string) error {
	return store.Trace(ctx, r.tracer, "DeletePending", func(ctx context.Context) error { return r.repo.DeletePending(ctx, id) })
}

func (r *tracedRepository) ListPending(ctx context.Context, t time.Time, limit int) ([]consignment.Consignment, error) {
	return store.Trace1(ctx, r.tracer, "ListPending", func(ctx context.Context) ([]consignment.Consignment, error) {
		return r.repo.ListPending(ctx, t, limit)
	})
}
