package telemetry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	microerrors "go-micro.dev/v5/errors"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// fleet returns a memory store holding vessels, booked room included.
func fleet(t *testing.T, vessels ...vessel.Vessel) *memory.Store {
	t.Helper()
	s := memory.New()
	for _, v := range vessels {
		if err := s.Create(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestFleetCollector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vessels []vessel.Vessel
		want    string
	}{
		{
			name: "empty fleet",
			want: `
# HELP shippy_fleet_remaining_containers Containers that can still be booked on the available vessels.
# TYPE shippy_fleet_remaining_containers gauge
shippy_fleet_remaining_containers 0
# HELP shippy_fleet_remaining_weight_grams Weight that can still be booked on the available vessels, in grams.
# TYPE shippy_fleet_remaining_weight_grams gauge
shippy_fleet_remaining_weight_grams 0
`,
		},
		{
			name: "booked and unavailable vessels",
			vessels: []vessel.Vessel{
				{ID: "v1", Name: "One", OwnerID: "o", Capacity: 500, MaxWeight: 200000, Available: true, UsedCapacity: 3, UsedWeight: 55000},
				{ID: "v2", Name: "Two", OwnerID: "o", Capacity: 10, MaxWeight: 1000, Available: true},
				{ID: "v3", Name: "Three", OwnerID: "o", Capacity: 7, MaxWeight: 700, Available: false, UsedCapacity: 2, UsedWeight: 100},
			},
			want: `
# HELP shippy_fleet_remaining_containers Containers that can still be booked on the available vessels.
# TYPE shippy_fleet_remaining_containers gauge
shippy_fleet_remaining_containers 507
# HELP shippy_fleet_remaining_weight_grams Weight that can still be booked on the available vessels, in grams.
# TYPE shippy_fleet_remaining_weight_grams gauge
shippy_fleet_remaining_weight_grams 146000000
# HELP shippy_vessel_available 1 if the vessel takes bookings, 0 if not.
# TYPE shippy_vessel_available gauge
shippy_vessel_available{vessel="v1"} 1
shippy_vessel_available{vessel="v2"} 1
shippy_vessel_available{vessel="v3"} 0
# HELP shippy_vessel_remaining_containers Containers not booked on the vessel.
# TYPE shippy_vessel_remaining_containers gauge
shippy_vessel_remaining_containers{vessel="v1"} 497
shippy_vessel_remaining_containers{vessel="v2"} 10
shippy_vessel_remaining_containers{vessel="v3"} 5
# HELP shippy_vessel_remaining_weight_grams Weight not booked on the vessel, in grams.
# TYPE shippy_vessel_remaining_weight_grams gauge
shippy_vessel_remaining_weight_grams{vessel="v1"} 145000000
shippy_vessel_remaining_weight_grams{vessel="v2"} 1000000
shippy_vessel_remaining_weight_grams{vessel="v3"} 600000
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewFleetCollector(fleet(t, tt.vessels...))
			if err := testutil.CollectAndCompare(c, strings.NewReader(tt.want)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFleetCollectorFollowsBookings reads the room again on each scrape.
func TestFleetCollectorFollowsBookings(t *testing.T) {
	t.Parallel()
	store := fleet(t, vessel.Vessel{ID: "v1", Name: "One", OwnerID: "o", Capacity: 10, MaxWeight: 1000, Available: true})
	c := NewFleetCollector(store)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := func(containers float64) {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "shippy_fleet_remaining_containers" {
				if got := f.GetMetric()[0].GetGauge().GetValue(); got != containers {
					t.Errorf("shippy_fleet_remaining_containers = %v, want %v", got, containers)
				}
				return
			}
		}
		t.Error("no shippy_fleet_remaining_containers")
	}
	want(10)
	if _, err := store.TakeRoom(context.Background(), vessel.Booking{ConsignmentID: "c1", VesselID: "v1", Containers: 4, Weight: 100}); err != nil {
		t.Fatal(err)
	}
	want(6)
}

// TestMetricsLint checks the service's own metrics with the linter behind
// promtool check metrics (names, units, help). e2e/promtool_test.go runs
// promtool itself on what the built services serve.
func TestMetricsLint(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewFleetCollector(fleet(t, vessel.Vessel{ID: "v1", Name: "One", OwnerID: "o", Capacity: 10, MaxWeight: 1000, Available: true})))
	if _, err := NewBookings(reg); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

type failingLister struct{ err error }

func (l failingLister) List(context.Context) ([]vessel.Vessel, error) { return nil, l.err }

func TestFleetCollectorStoreUnavailable(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewFleetCollector(failingLister{err: vessel.ErrUnavailable}))
	_, err := reg.Gather()
	if !errors.Is(err, vessel.ErrUnavailable) {
		t.Errorf("Gather() error = %v, want the store's %v", err, vessel.ErrUnavailable)
	}
}

// bookHandler is a vessel service handler whose Book answers err.
type bookHandler struct {
	vesselpb.VesselServiceHandler
	err error
}

func (h bookHandler) Book(context.Context, *vesselpb.BookRequest, *vesselpb.BookResponse) error {
	return h.err
}

func TestBookings(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	b, err := NewBookings(reg)
	if err != nil {
		t.Fatal(err)
	}
	answers := []error{
		nil, nil, nil,
		microerrors.New(vesselpb.ServiceName, "no vessel has room for 3 containers and 5 kg", http.StatusPreconditionFailed),
		microerrors.New(vesselpb.ServiceName, "vessel store unavailable", http.StatusServiceUnavailable),
		microerrors.New(vesselpb.ServiceName, "containers: required", http.StatusBadRequest),
	}
	for _, answer := range answers {
		h := b.Handler(bookHandler{err: answer})
		if err := h.Book(context.Background(), &vesselpb.BookRequest{}, &vesselpb.BookResponse{}); err != answer {
			t.Errorf("Book() = %v, want the handler's %v", err, answer)
		}
	}
	want := `
# HELP shippy_vessel_bookings_total Bookings answered (Book calls and BookBatch items), by outcome: made (with a booking) or refused (no vessel has room).
# TYPE shippy_vessel_bookings_total counter
shippy_vessel_bookings_total{outcome="made"} 3
shippy_vessel_bookings_total{outcome="refused"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// batchHandler is a vessel service handler whose BookBatch answers
// results, or err.
type batchHandler struct {
	vesselpb.VesselServiceHandler
	results []*vesselpb.BookResult
	err     error
}

func (h batchHandler) BookBatch(_ context.Context, _ *vesselpb.BookBatchRequest, rsp *vesselpb.BookBatchResponse) error {
	rsp.Results = h.results
	return h.err
}

// TestBookingsBatch counts each BookBatch item: a booking is made, a
// NO_ROOM refused, other errors and failed calls neither.
func TestBookingsBatch(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	b, err := NewBookings(reg)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(reason string) *vesselpb.BookResult {
		return &vesselpb.BookResult{Error: &vesselpb.BookError{Reason: reason, Detail: "d"}}
	}
	made := &vesselpb.BookResult{Booking: &vesselpb.Booking{ConsignmentId: "c"}}
	calls := []batchHandler{
		{results: []*vesselpb.BookResult{made, refused("NO_ROOM"), made, refused("CONFLICT"), refused("UNAVAILABLE")}},
		{results: []*vesselpb.BookResult{refused("NO_ROOM"), refused("INVALID")}},
		{results: []*vesselpb.BookResult{made}, err: microerrors.New(vesselpb.ServiceName, "vessel store unavailable", http.StatusServiceUnavailable)},
		{},
	}
	for _, h := range calls {
		if err := b.Handler(h).BookBatch(context.Background(), &vesselpb.BookBatchRequest{}, &vesselpb.BookBatchResponse{}); err != h.err {
			t.Errorf("BookBatch() = %v, want the handler's %v", err, h.err)
		}
	}
	want := `
# HELP shippy_vessel_bookings_total Bookings answered (Book calls and BookBatch items), by outcome: made (with a booking) or refused (no vessel has room).
# TYPE shippy_vessel_bookings_total counter
shippy_vessel_bookings_total{outcome="made"} 2
shippy_vessel_bookings_total{outcome="refused"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestTraceRepository(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	repo := TraceRepository(fleet(t, vessel.Vessel{ID: "v1", Name: "One", OwnerID: "o", Capacity: 10, MaxWeight: 1000, Available: true}), tp, "memory")

	ctx, parent := tp.Tracer("test").Start(context.Background(), "call")
	if _, err := repo.List(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.FindBooking(ctx, "c1"); !errors.Is(err, vessel.ErrNotFound) {
		t.Fatalf("FindBooking() = %v, want ErrNotFound", err)
	}
	hold := vessel.Hold{Holder: "h", Until: time.Now().Add(time.Minute)}
	out, err := repo.BookHeld(ctx, []vessel.BookRequest{{ConsignmentID: "c1", Containers: 1, Weight: 1}, {ConsignmentID: "c2", Containers: 100, Weight: 1}}, hold, time.Now())
	if err != nil || out[0].Err != nil || !errors.Is(out[1].Err, vessel.ErrNoRoom) {
		t.Fatalf("BookHeld() = %+v, %v; want c1 booked, c2 refused", out, err)
	}
	if n, err := repo.Confirm(ctx, []string{"c1"}); err != nil || n != 1 {
		t.Fatalf("Confirm() = %d, %v", n, err)
	}
	if _, err := repo.ListExpiredHolds(ctx, "h", time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.ReleaseExpiredHold(ctx, "c1", time.Now()); err != nil {
		t.Fatal(err)
	}
	parent.End()

	failing := TraceRepository(&brokenRepository{err: vessel.ErrUnavailable}, tp, "memory")
	if _, err := failing.Get(ctx, "v1"); !errors.Is(err, vessel.ErrUnavailable) {
		t.Fatalf("Get() = %v, want ErrUnavailable", err)
	}

	want := map[string]codes.Code{
		"VesselStore.List":               codes.Unset,
		"VesselStore.FindBooking":        codes.Unset, // not found is an answer
		"VesselStore.BookHeld":           codes.Unset, // so is an item refused
		"VesselStore.Confirm":            codes.Unset,
		"VesselStore.ListExpiredHolds":   codes.Unset,
		"VesselStore.ReleaseExpiredHold": codes.Unset,
		"VesselStore.Get":                codes.Error,
	}
	got := make(map[string]codes.Code)
	for _, s := range rec.Ended() {
		if s.Name() == "call" {
			continue
		}
		got[s.Name()] = s.Status().Code
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("%s: parent %s, want the caller's span %s", s.Name(), s.Parent().SpanID(), parent.SpanContext().SpanID())
		}
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s: kind %s, want client", s.Name(), s.SpanKind())
		}
	}
	if len(got) != len(want) {
		t.Errorf("spans %v, want %v", got, want)
	}
	for name, code := range want {
		if got[name] != code {
			t.Errorf("%s: status %s, want %s", name, got[name], code)
		}
	}
}

// brokenRepository is a vessel.Repository whose every call fails with err.
type brokenRepository struct {
	vessel.Repository
	err error
}

func (r *brokenRepository) Get(context.Context, string) (vessel.Vessel, error) {
	return vessel.Vessel{}, r.err
}
