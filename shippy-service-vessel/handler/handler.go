// Package handler serves the vessel service's go-micro API: it converts
// protobuf messages to domain values and back, calls the vessel.Service, and
// maps domain errors to go-micro errors in one place, microError.
package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	microerrors "go-micro.dev/v5/errors"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

var _ vesselpb.VesselServiceHandler = (*Handler)(nil)

// Handler implements vesselpb.VesselServiceHandler. A nil request is
// treated as an empty message.
type Handler struct {
	svc    *vessel.Service
	logger *slog.Logger
}

// New returns a Handler serving svc. logger receives the internal errors
// that the clients see only as "internal error".
func New(svc *vessel.Service, logger *slog.Logger) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("new vessel handler: nil service")
	}
	if logger == nil {
		return nil, errors.New("new vessel handler: nil logger")
	}
	return &Handler{svc: svc, logger: logger}, nil
}

// FindAvailable answers with the vessel a booking of the specification would
// take now, by the room left; it books nothing. 412 when no vessel fits.
func (h *Handler) FindAvailable(ctx context.Context, req *vesselpb.Specification, rsp *vesselpb.Response) error {
	v, err := h.svc.FindAvailable(ctx, specFromPB(req))
	if err != nil {
		return h.microError(ctx, "FindAvailable", err)
	}
	rsp.Vessel = vesselToPB(v)
	return nil
}

// Create adds a vessel, with a new id when req has none, and answers with
// the stored vessel and created set. The remaining room in req is ignored.
func (h *Handler) Create(ctx context.Context, req *vesselpb.Vessel, rsp *vesselpb.Response) error {
	v, err := h.svc.Create(ctx, vesselFromPB(req))
	if err != nil {
		return h.microError(ctx, "Create", err)
	}
	rsp.Vessel = vesselToPB(v)
	rsp.Created = true
	return nil
}

// Book takes room for a consignment and answers with the booking and the
// vessel after it. 412 when no vessel has room, 409 when the consignment is
// booked with other containers or weight.
func (h *Handler) Book(ctx context.Context, req *vesselpb.BookRequest, rsp *vesselpb.BookResponse) error {
	b, v, err := h.svc.Book(ctx, bookRequestFromPB(req))
	if err != nil {
		return h.microError(ctx, "Book", err)
	}
	rsp.Booking = bookingToPB(b)
	rsp.Vessel = vesselToPB(v)
	return nil
}

// Release gives a consignment's room back; released is false when it held
// none.
func (h *Handler) Release(ctx context.Context, req *vesselpb.ReleaseRequest, rsp *vesselpb.ReleaseResponse) error {
	released, err := h.svc.Release(ctx, req.GetConsignmentId())
	if err != nil {
		return h.microError(ctx, "Release", err)
	}
	rsp.Released = released
	return nil
}

// ListVessels answers with the whole fleet in id order.
func (h *Handler) ListVessels(ctx context.Context, _ *vesselpb.ListVesselsRequest, rsp *vesselpb.ListVesselsResponse) error {
	vessels, err := h.svc.List(ctx)
	if err != nil {
		return h.microError(ctx, "ListVessels", err)
	}
	rsp.Vessels = make([]*vesselpb.Vessel, len(vessels))
	for i, v := range vessels {
		rsp.Vessels[i] = vesselToPB(v)
	}
	return nil
}

// microError maps an error of the vessel.Service to the go-micro error the
// client sees:
//
//	*vessel.FieldError     -> 400, detail the field error: "max_weight: must be positive, got 0"
//	vessel.ErrNoRoom       -> 412, detail "no vessel has room for 3 containers and 500 kg"
//	vessel.ErrConflict     -> 409, detail saying which id
//	vessel.ErrNotFound     -> 404
//	vessel.ErrUnavailable  -> 503 (logged as a warning)
//	context deadline or
//	cancellation           -> 408
//	anything else          -> 500 "internal error" (logged as an error)
//
// It is the only place that logs a failed call, so each is logged once.
func (h *Handler) microError(ctx context.Context, method string, err error) error {
	id := vesselpb.ServiceName
	if fe, ok := errors.AsType[*vessel.FieldError](err); ok {
		return microerrors.New(id, fe.Error(), http.StatusBadRequest)
	}
	switch {
	case errors.Is(err, vessel.ErrNoRoom):
		return microerrors.New(id, err.Error(), http.StatusPreconditionFailed)
	case errors.Is(err, vessel.ErrConflict):
		return microerrors.New(id, err.Error(), http.StatusConflict)
	case errors.Is(err, vessel.ErrNotFound):
		return microerrors.New(id, "not found", http.StatusNotFound)
	case errors.Is(err, vessel.ErrUnavailable):
		h.logger.WarnContext(ctx, "vessel store unavailable", "method", method, "error", err)
		return microerrors.New(id, "vessel store unavailable", http.StatusServiceUnavailable)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return microerrors.New(id, "deadline exceeded or call cancelled", http.StatusRequestTimeout)
	default:
		h.logger.ErrorContext(ctx, "internal error", "method", method, "error", err)
		return microerrors.New(id, "internal error", http.StatusInternalServerError)
	}
}

func specFromPB(s *vesselpb.Specification) vessel.Specification {
	return vessel.Specification{Capacity: s.GetCapacity(), MaxWeight: s.GetMaxWeight()}
}

// vesselFromPB converts what a client submits; remaining room is the
// service's and is dropped.
func vesselFromPB(v *vesselpb.Vessel) vessel.Vessel {
	return vessel.Vessel{
		ID:        v.GetId(),
		Name:      v.GetName(),
		OwnerID:   v.GetOwnerId(),
		Capacity:  v.GetCapacity(),
		MaxWeight: v.GetMaxWeight(),
		Available: v.GetAvailable(),
	}
}

func vesselToPB(v vessel.Vessel) *vesselpb.Vessel {
	return &vesselpb.Vessel{
		Id:                v.ID,
		Name:              v.Name,
		OwnerId:           v.OwnerID,
		Capacity:          v.Capacity,
		MaxWeight:         v.MaxWeight,
		Available:         v.Available,
		RemainingCapacity: v.RemainingCapacity(),
		RemainingWeight:   v.RemainingWeight(),
	}
}

func bookRequestFromPB(r *vesselpb.BookRequest) vessel.BookRequest {
	return vessel.BookRequest{
		ConsignmentID: r.GetConsignmentId(),
		Containers:    r.GetContainers(),
		Weight:        r.GetWeight(),
	}
}

func bookingToPB(b vessel.Booking) *vesselpb.Booking {
	return &vesselpb.Booking{
		ConsignmentId: b.ConsignmentID,
		VesselId:      b.VesselID,
		Containers:    b.Containers,
		Weight:        b.Weight,
	}
}
