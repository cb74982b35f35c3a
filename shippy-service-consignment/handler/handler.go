// Package handler serves the consignment service's go-micro API: it turns
// protobuf requests into domain calls and domain errors into go-micro
// errors.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/failpoint"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Service is what the handler needs of the consignment domain;
// *consignment.Service implements it.
type Service interface {
	Create(ctx context.Context, c consignment.Consignment) (consignment.Consignment, error)
	List(ctx context.Context, owner string, limit int, pageToken string) ([]consignment.Consignment, string, error)
	Cancel(ctx context.Context, id, owner string) (consignment.Consignment, error)
}

var _ Service = (*consignment.Service)(nil)

// Handler implements consignmentpb.ShippingServiceHandler.
type Handler struct {
	svc       Service
	answers   *rpcerr.Answerer
	failpoint *failpoint.Point
}

var _ consignmentpb.ShippingServiceHandler = (*Handler)(nil)

// New returns a Handler serving svc. logger receives the errors callers only
// see as "internal error" or "unavailable". fp is nil but in the tests that kill the service at a step
// (failpoint.AfterStore).
func New(svc Service, logger *slog.Logger, fp *failpoint.Point) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("new handler: nil service")
	}
	answers, err := rpcerr.NewAnswerer(consignmentpb.ServiceName, logger, answer)
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	return &Handler{svc: svc, answers: answers, failpoint: fp}, nil
}

// Every call needs a user's token: the server's auth wrapper verifies it
// and puts its claims in the context, and each method checks the role with
// auth.Require. A customer's consignments are theirs: they list and cancel
// their own. An operator lists and cancels every one, those stored before
// accounts existed (with no owner) included.

// CreateConsignment books req onto a vessel and stores it, owned by the
// caller, and answers with the consignment as stored: with its id, the
// vessel_id the service assigned and the caller as owner_id (those sent by
// the client are ignored). created is true whenever the consignment exists
// as requested, also for a retry of an earlier create.
func (h *Handler) CreateConsignment(ctx context.Context, req *consignmentpb.Consignment, rsp *consignmentpb.Response) error {
	claims, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator)
	if err != nil {
		return err
	}
	c := consignmentFromPB(req)
	c.Owner = claims.Subject
	c, err = h.svc.Create(ctx, c)
	if err != nil {
		return h.answers.Answer(ctx, "CreateConsignment", err)
	}
	h.failpoint.Hit(failpoint.AfterStore)
	rsp.Created = true
	rsp.Consignment = consignmentToPB(c)
	return nil
}

// GetConsignments answers with a page of the consignments the caller may
// see (see visible), oldest first, and next_page_token when more follow. A
// request without a limit (or a nil one) gets consignment.DefaultPageSize
// of them; a limit above consignment.MaxPageSize is lowered to it.
func (h *Handler) GetConsignments(ctx context.Context, req *consignmentpb.GetRequest, rsp *consignmentpb.Response) error {
	owner, err := visible(ctx)
	if err != nil {
		return err
	}
	items, next, err := h.svc.List(ctx, owner, int(req.GetLimit()), req.GetPageToken())
	if err != nil {
		return h.answers.Answer(ctx, "GetConsignments", err)
	}
	rsp.Consignments = consignmentsToPB(items)
	rsp.NextPageToken = next
	return nil
}

// CancelConsignment cancels the consignment with req's id, if the caller
// may see it (see visible): its room is released and it is no longer
// listed. It answers with the consignment as it was booked. A repeat
// answers the same; an id the caller may not see answers NOT_FOUND, as an
// unknown one does.
func (h *Handler) CancelConsignment(ctx context.Context, req *consignmentpb.CancelRequest, rsp *consignmentpb.CancelResponse) error {
	owner, err := visible(ctx)
	if err != nil {
		return err
	}
	c, err := h.svc.Cancel(ctx, req.GetId(), owner)
	if err != nil {
		return h.answers.Answer(ctx, "CancelConsignment", err)
	}
	rsp.Consignment = consignmentToPB(c)
	return nil
}

// visible returns the owner whose consignments the caller may list and
// cancel: the caller, or "" (every owner) for an operator.
func visible(ctx context.Context) (owner string, err error) {
	claims, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator)
	if err != nil {
		return "", err
	}
	if claims.Role == auth.RoleOperator {
		return "", nil
	}
	return claims.Subject, nil
}

// answer maps an error of the consignment service to the reason and the
// detail the client sees. It is the only place where the service's errors
// become wire errors:
//
//	consignment.ErrInvalid     INVALID (400), the *FieldError text ("weight: must be positive, got 0")
//	consignment.ErrNoRoom      NO_ROOM (412) "no vessel has room"
//	consignment.ErrConflict    CONFLICT (409)
//	consignment.ErrNotFound    NOT_FOUND (404)
//	consignment.ErrUnavailable UNAVAILABLE (503) "vessel service unavailable" (cause logged)
//	anything else              INTERNAL (500) "internal error" (cause logged)
func answer(err error) (rpcerr.Reason, string) {
	if fe, ok := errors.AsType[*consignment.FieldError](err); ok {
		return rpcerr.Invalid, fe.Error()
	}
	switch {
	case errors.Is(err, consignment.ErrInvalid):
		return rpcerr.Invalid, err.Error()
	case errors.Is(err, consignment.ErrNoRoom):
		return rpcerr.NoRoom, consignment.ErrNoRoom.Error()
	case errors.Is(err, consignment.ErrConflict):
		return rpcerr.Conflict, consignment.ErrConflict.Error()
	case errors.Is(err, consignment.ErrNotFound):
		return rpcerr.NotFound, consignment.ErrNotFound.Error()
	case errors.Is(err, consignment.ErrUnavailable):
		return rpcerr.Unavailable, "vessel service unavailable"
	}
	return rpcerr.Internal, "internal error"
}

// consignmentFromPB converts a request to the domain type; nil gives the
// zero Consignment, which fails validation. vessel_id and owner_id are
// left out: the service assigns them.
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
		OwnerId:     c.Owner,
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
