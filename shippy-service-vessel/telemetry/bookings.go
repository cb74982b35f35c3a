package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	microerrors "go-micro.dev/v5/errors"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// Outcomes of a Book call, the values of the outcome label.
const (
	OutcomeMade    = "made"
	OutcomeRefused = "refused"
)

// Bookings counts how the vessel service answers Book:
//
//	shippy_vessel_bookings_total{outcome="made"}     answered with a booking
//	shippy_vessel_bookings_total{outcome="refused"}  answered "no vessel has room" (412)
//
// Other answers (invalid, conflicting, unavailable) are in the platform's
// shippy_rpc_requests_total{method="VesselService.Book"} by code. A Book
// repeated for a consignment that is booked already is answered with its
// booking and counts as made again; the consignment service repeats one
// only to settle a create that stopped half-way.
type Bookings struct {
	made, refused prometheus.Counter
}

// NewBookings registers the bookings counter in reg, both outcomes at zero.
func NewBookings(reg prometheus.Registerer) (*Bookings, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shippy_vessel_bookings_total",
		Help: "Book calls answered, by outcome: made (with a booking) or refused (no vessel has room).",
	}, []string{"outcome"})
	if err := reg.Register(total); err != nil {
		return nil, fmt.Errorf("register bookings metric: %w", err)
	}
	return &Bookings{
		made:    total.WithLabelValues(OutcomeMade),
		refused: total.WithLabelValues(OutcomeRefused),
	}, nil
}

// Handler returns h with its Book answers counted; its other methods are
// h's.
func (b *Bookings) Handler(h vesselpb.VesselServiceHandler) vesselpb.VesselServiceHandler {
	return &countingHandler{VesselServiceHandler: h, bookings: b}
}

// countingHandler is a vessel service handler that counts Book's outcomes.
type countingHandler struct {
	vesselpb.VesselServiceHandler
	bookings *Bookings
}

func (h *countingHandler) Book(ctx context.Context, req *vesselpb.BookRequest, rsp *vesselpb.BookResponse) error {
	err := h.VesselServiceHandler.Book(ctx, req, rsp)
	if err == nil {
		h.bookings.made.Inc()
	} else if e, ok := microerrors.As(err); ok && e.Code == http.StatusPreconditionFailed {
		h.bookings.refused.Inc()
	}
	return err
}
