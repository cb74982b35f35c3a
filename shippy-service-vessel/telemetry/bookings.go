package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	microerrors "go-micro.dev/v5/errors"

	"github.com/shippy-suite/shippy/platform/rpcerr"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// Outcomes of a Book call, the values of the outcome label.
const (
	OutcomeMade    = "made"
	OutcomeRefused = "refused"
)

// Bookings counts how the vessel service answers Book, and each item of
// BookBatch:
//
//	shippy_vessel_bookings_total{outcome="made"}     answered with a booking
//	shippy_vessel_bookings_total{outcome="refused"}  answered "no vessel has room" (412, NO_ROOM)
//
// Other answers (invalid, conflicting, unavailable) are in the platform's
// shippy_rpc_requests_total{method="VesselService.Book"} by code (for
// Book; a BookBatch item's are in its result only). A booking asked for
// again, for a consignment that is booked already, is answered with its
// booking and counts as made again; the consignment service asks again
// only to settle a create that stopped half-way.
type Bookings struct {
	made, refused prometheus.Counter
}

// NewBookings registers the bookings counter in reg, both outcomes at zero.
func NewBookings(reg prometheus.Registerer) (*Bookings, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shippy_vessel_bookings_total",
		Help: "Bookings answered (Book calls and BookBatch items), by outcome: made (with a booking) or refused (no vessel has room).",
	}, []string{"outcome"})
	if err := reg.Register(total); err != nil {
		return nil, fmt.Errorf("register bookings metric: %w", err)
	}
	return &Bookings{
		made:    total.WithLabelValues(OutcomeMade),
		refused: total.WithLabelValues(OutcomeRefused),
	}, nil
}

// Handler returns h with the answers of its Book and of each BookBatch
// item counted; its other methods are h's.
func (b *Bookings) Handler(h vesselpb.VesselServiceHandler) vesselpb.VesselServiceHandler {
	return &countingHandler{VesselServiceHandler: h, bookings: b}
}

// countingHandler is a vessel service handler that counts the outcomes of
// Book and BookBatch.
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

func (h *countingHandler) BookBatch(ctx context.Context, req *vesselpb.BookBatchRequest, rsp *vesselpb.BookBatchResponse) error {
	err := h.VesselServiceHandler.BookBatch(ctx, req, rsp)
	if err != nil {
		return err
	}
	var made, refused int
	for _, r := range rsp.GetResults() {
		switch {
		case r.GetBooking() != nil:
			made++
		case r.GetError().GetReason() == string(rpcerr.NoRoom):
			refused++
		}
	}
	h.bookings.made.Add(float64(made))
	h.bookings.refused.Add(float64(refused))
	return nil
}
