package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
)

// brokenRepository is a consignment.Repository whose Get fails with err.
type brokenRepository struct {
	consignment.Repository
	err error
}

func (r brokenRepository) Get(context.Context, string) (consignment.Consignment, error) {
	return consignment.Consignment{}, r.err
}

func TestTraceRepository(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	repo := TraceRepository(memory.New(), tp, "memory")
	ctx, parent := tp.Tracer("test").Start(context.Background(), "call")

	c := consignment.Consignment{ID: "c1", Weight: 10, Status: consignment.StatusPending, CreatedAt: time.Now()}
	if err := repo.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := repo.Create(ctx, c); !errors.Is(err, consignment.ErrConflict) {
		t.Fatalf("second Create() = %v, want ErrConflict", err)
	}
	if _, err := TraceRepository(brokenRepository{err: consignment.ErrUnavailable}, tp, "memory").Get(ctx, "c1"); !errors.Is(err, consignment.ErrUnavailable) {
		t.Fatalf("Get() = %v, want ErrUnavailable", err)
	}
	if _, _, err := repo.List(ctx, "", 10, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Cancel(ctx, "c1", ""); !errors.Is(err, consignment.ErrNotFound) {
		t.Fatalf("Cancel(pending) = %v, want ErrNotFound", err)
	}
	parent.End()

	type span struct {
		name string
		code codes.Code
	}
	want := []span{
		{"ConsignmentStore.Create", codes.Unset},
		{"ConsignmentStore.Create", codes.Unset}, // a conflict is an answer
		{"ConsignmentStore.Get", codes.Error},
		{"ConsignmentStore.List", codes.Unset},
		{"ConsignmentStore.Cancel", codes.Unset}, // not found is an answer
		{"call", codes.Unset},
	}
	ended := rec.Ended()
	if len(ended) != len(want) {
		t.Fatalf("%d spans ended, want %d", len(ended), len(want))
	}
	for i, s := range ended {
		if got := (span{s.Name(), s.Status().Code}); got != want[i] {
			t.Errorf("span %d = %+v, want %+v", i, got, want[i])
		}
		if s.Name() != "call" && s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %d %s: parent %s, want the caller's span", i, s.Name(), s.Parent().SpanID())
		}
	}
}
