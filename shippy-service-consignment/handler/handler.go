// Package handler serves the consignment service's go-micro API: it turns
// protobuf requests into domain calls and domain errors into go-micro
// errors.
package handler

import (
	"context"
	"errors"
	"log/slog"

	microerrors "go-micro.dev/v5/errors"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Service is what the handler needs of the consignment domain;
// *consignment.Service implements it.
type Service interface {
	Create(ctx context.Context, c consignment.Consignment) (consignment.Consignment, error)
	List(ctx context.Context, limit int, pageToken string) ([]consignment.Consignment, string, error)
}

// Handler implements consignmentpb.ShippingServiceHandler.
type Handler struct {
	svc    Service
	logger *slog.Logger
}

var _ consignmentpb.ShippingServiceHandler = (*Handler)(nil)

// New returns a Handler serving svc. logger receives the errors callers only
// see as "internal error" or "unavailable".
func New(svc Service, logger *slog.Logger) (*Handler, error) {
	switch {
	case svc == nil:
		return nil, errors.New("new handler: nil service")
	case logger == nil:
		return nil, errors.New("new handler: nil logger")
	}
	return &Handler{svc: svc, logger: logger}, nil
}

// CreateConsignment books req onto a vessel and stores it, and answers with
// the consignment as stored: with its id and the vessel_id the service
// assigned (one sent by the client is ignored). created is true whenever the
// consignment exists as requested, also for a retry of an earlier create.
func (h *Handler) CreateConsignment(ctx context.Context, req *consignmentpb.Consignment, rsp *consignmentpb.Response) error {
	c, err := h.svc.Create(ctx, consignmentFromPB(req))
	if err != nil {
		return h.microError(ctx, "CreateConsignment", err)
	}
	rsp.Created = true
	rsp.Consignment = consignmentToPB(c)
	return nil
}

// GetConsignments answers with a page of consignments, oldest first. A
// request without paging fields (or a nil one) gets every consignment.
func (h *Handler) GetConsignments(ctx context.Context, req *consignmentpb.GetRequest, rsp *consignmentpb.Response) error {
	items, next, err := h.svc.List(ctx, int(req.GetLimit()), req.GetPageToken())
	if err != nil {
		return h.microError(ctx, "GetConsignments", err)
	}
	rsp.Consignments = consignmentsToPB(items)
	rsp.NextPageToken = next
	return nil
}

// microError maps a domain error to the go-micro error the client sees:
//
//	consignment.ErrInvalid     400, the *FieldError text ("weight: must be positive, got 0")
//	consignment.ErrNoRoom      412 "no vessel has room"
//	consignment.ErrConflict    409
//	consignment.ErrNotFound    404
//	consignment.ErrUnavailable 503 "vessel service unavailable" (cause logged)
//	anything else              500 "internal error" (cause logged)
//
// It is the only place where the service's errors become wire errors.
func (h *Handler) microError(ctx context.Context, method string, err error) error {
	const id = consignmentpb.ServiceName
	var fe *consignment.FieldError
	switch {
	case errors.As(err, &fe):
		return microerrors.BadRequest(id, "%s", fe.Error())
	case errors.Is(err, consignment.ErrInvalid):
		return microerrors.BadRequest(id, "%s", err.Error())
	case errors.Is(err, consignment.ErrNoRoom):
		return microerrors.New(id, consignment.ErrNoRoom.Error(), 412)
	case errors.Is(err, consignment.ErrConflict):
		return microerrors.Conflict(id, "%s", consignment.ErrConflict.Error())
	case errors.Is(err, consignment.ErrNotFound):
		return microerrors.NotFound(id, "%s", consignment.ErrNotFound.Error())
	case errors.Is(err, consignment.ErrUnavailable):
		h.logger.WarnContext(ctx, "dependency unavailable", "method", method, "error", err)
		return microerrors.New(id, "vessel service unavailable", 503)
	default:
		h.logger.ErrorContext(ctx, "internal error", "method", method, "error", err)
		return microerrors.InternalServerError(id, "internal error")
	}
}

// consignmentFromPB converts a request to the domain type; nil gives the
// zero Consignment, which fails validation. vessel_id is left out: the
// service assigns it.
func consignmentFromPB(p *consignmentpb.Consignment) consignment.Consignment {
	c := consignment.Consignment{
		ID:          p.GetId(),
		Description: p.GetDescription(),
		Weight:      p.GetWeight(),
	}
	if n := len(p.GetContainers()); n > 0 {
		c.Containers = make([]consignment.Container, 0, n)
	}
	for _, pc := range p.GetContainers() {
		c.Containers = append(c.Containers, containerFromPB(pc))
	}
	return c
}

// containerFromPB converts one container; a nil one gives the zero
// Container, which fails validation.
func containerFromPB(p *consignmentpb.Container) consignment.Container {
	return consignment.Container{
		ID:         p.GetId(),
		CustomerID: p.GetCustomerId(),
		Origin:     p.GetOrigin(),
		UserID:     p.GetUserId(),
	}
}

func consignmentToPB(c consignment.Consignment) *consignmentpb.Consignment {
	p := &consignmentpb.Consignment{
		Id:          c.ID,
		Description: c.Description,
		Weight:      c.Weight,
		VesselId:    c.VesselID,
		Containers:  make([]*consignmentpb.Container, 0, len(c.Containers)),
	}
	for _, ct := range c.Containers {
		p.Containers = append(p.Containers, containerToPB(ct))
	}
	return p
}

func containerToPB(c consignment.Container) *consignmentpb.Container {
	return &consignmentpb.Container{
		Id:         c.ID,
		CustomerId: c.CustomerID,
		Origin:     c.Origin,
		UserId:     c.UserID,
	}
}

func consignmentsToPB(cs []consignment.Consignment) []*consignmentpb.Consignment {
	out := make([]*consignmentpb.Consignment, 0, len(cs))
	for _, c := range cs {
		out = append(out, consignmentToPB(c))
	}
	return out
}
