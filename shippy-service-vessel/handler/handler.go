// Package handler serves the vessel service's go-micro API: it converts
// protobuf messages to domain values and back, calls the vessel domain, and
// maps domain errors to go-micro errors in one place, answer.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/shippy-suite/shippy/platform/rpcerr"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Service is what the handler needs of the vessel domain;
// *vessel.Service implements it.
type Service interface {
	FindAvailable(ctx context.Context, spec vessel.Specification) (vessel.Vessel, error)
	Create(ctx context.Context, v vessel.Vessel) (vessel.Vessel, error)
	Book(ctx context.Context, req vessel.BookRequest) (vessel.Booking, vessel.Vessel, error)
	Release(ctx context.Context, consignmentID string) (released bool, err error)
	List(ctx context.Context) ([]vessel.Vessel, error)
}

var _ Service = (*vessel.Service)(nil)

// Handler implements vesselpb.VesselServiceHandler. A nil request is
// treated as an empty message.
type Handler struct {
	svc     Service
	answers *rpcerr.Answerer
}

var _ vesselpb.VesselServiceHandler = (*Handler)(nil)

// New returns a Handler serving svc. logger receives the errors callers only
// see as "internal error" or "unavailable".
func New(svc Service, logger *slog.Logger) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("new handler: nil service")
	}
	answers, err := rpcerr.NewAnswerer(vesselpb.ServiceName, logger, answer)
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	return &Handler{svc: svc, answers: answers}, nil
}

// FindAvailable answers with the vessel a booking of the specification would
// take now, by the room left; it books nothing. 412 when no vessel fits.
func (h *Handler) FindAvailable(ctx context.Context, req *vesselpb.Specification, rsp *vesselpb.Response) error {
	v, err := h.svc.FindAvailable(ctx, specFromPB(req))
	if err != nil {
		return h.answers.Answer(ctx, "FindAvailable", err)
	}
	rsp.Vessel = vesselToPB(v)
	return nil
}

// Create adds a vessel, with a new id when req has none, and answers with
// the stored vessel and created set. The remaining room in req is ignored.
func (h *Handler) Create(ctx context.Context, req *vesselpb.Vessel, rsp *vesselpb.Response) error {
	v, err := h.svc.Create(ctx, vesselFromPB(req))
	if err != nil {
		return h.answers.Answer(ctx, "Create", err)
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
		return h.answers.Answer(ctx, "Book", err)
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
		return h.answers.Answer(ctx, "Release", err)
	}
	rsp.Released = released
	return nil
}

// ListVessels answers with the whole fleet in id order.
func (h *Handler) ListVessels(ctx context.Context, _ *vesselpb.ListVesselsRequest, rsp *vesselpb.ListVesselsResponse) error {
	vessels, err := h.svc.List(ctx)
	if err != nil {
		return h.answers.Answer(ctx, "ListVessels", err)
	}
	rsp.Vessels = make([]*vesselpb.Vessel, len(vessels))
	for i, v := range vessels {
		rsp.Vessels[i] = vesselToPB(v)
	}
	return nil
}

// answer maps an error of the vessel service to the reason and the detail
// the client sees. It is the only place where the service's errors become
// wire errors:
//
//	*vessel.FieldError     INVALID (400), the field error: "max_weight: must be positive, got 0"
//	vessel.ErrNoRoom       NO_ROOM (412), "no vessel has room for 3 containers and 500 kg"
//	vessel.ErrConflict     CONFLICT (409), saying which id
//	vessel.ErrNotFound     NOT_FOUND (404)
//	vessel.ErrUnavailable  UNAVAILABLE (503) "vessel store unavailable" (cause logged)
//	context deadline or
//	cancellation           TIMEOUT (408)
//	anything else          INTERNAL (500) "internal error" (cause logged)
func answer(err error) (rpcerr.Reason, string) {
	if fe, ok := errors.AsType[*vessel.FieldError](err); ok {
		return rpcerr.Invalid, fe.Error()
	}
	switch {
	case errors.Is(err, vessel.ErrNoRoom):
		return rpcerr.NoRoom, err.Error()
	case errors.Is(err, vessel.ErrConflict):
		return rpcerr.Conflict, err.Error()
	case errors.Is(err, vessel.ErrNotFound):
		return rpcerr.NotFound, "not found"
	case errors.Is(err, vessel.ErrUnavailable):
		return rpcerr.Unavailable, "vessel store unavailable"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return rpcerr.Timeout, "deadline exceeded or call cancelled"
	}
	return rpcerr.Internal, "internal error"
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
	return vessel.BookRequest{ConsignmentID: r.GetConsignmentId(), Containers: r.GetContainers(), Weight: r.GetWeight()}
}

func bookingToPB(b vessel.Booking) *vesselpb.Booking {
	return &vesselpb.Booking{ConsignmentId: b.ConsignmentID, VesselId: b.VesselID, Containers: b.Containers, Weight: b.Weight}
}
