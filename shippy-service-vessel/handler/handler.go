// Package handler serves the vessel service's go-micro API: it checks the
// caller's role, converts protobuf messages to domain values and back,
// calls the vessel domain, and maps domain errors to go-micro errors in one
// place, answer. Who may call what is in docs/auth.md.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/failpoint"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
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
	BookBatch(ctx context.Context, holder string, hold time.Duration, reqs []vessel.BookRequest) ([]vessel.BookOutcome, error)
	Confirm(ctx context.Context, consignmentIDs []string) (int, error)
	ListExpiredHolds(ctx context.Context, holder string, limit int) ([]vessel.Booking, error)
	ReleaseExpiredHold(ctx context.Context, consignmentID string) (released bool, err error)
}

var _ Service = (*vessel.Service)(nil)

// Handler implements vesselpb.VesselServiceHandler. A nil request is
// treated as an empty message. Each method first checks the caller's claims
// (auth.ClaimsFrom, which the server's auth wrapper sets): 401 without
// them, 403 when the caller may not make the call.
type Handler struct {
	svc     Service
	answers *rpcerr.Answerer
	logger  *slog.Logger
	// failpoint kills the process after a commit, before the answer, in
	// the kill tests; nil otherwise.
	failpoint *failpoint.Point
}

var _ vesselpb.VesselServiceHandler = (*Handler)(nil)

// New returns a Handler serving svc. logger receives the errors callers only
// see as "internal error" or "unavailable". fp is nil but in the tests that
// kill the service at a step (failpoint.AfterHold, failpoint.AfterConfirm).
func New(svc Service, logger *slog.Logger, fp *failpoint.Point) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("new handler: nil service")
	}
	answers, err := rpcerr.NewAnswerer(vesselpb.ServiceName, logger, answer)
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	return &Handler{svc: svc, answers: answers, logger: logger, failpoint: fp}, nil
}

// FindAvailable answers with the vessel a booking of the specification would
// take now, by the room left; it books nothing. 412 when no vessel fits.
// Any signed-in caller.
func (h *Handler) FindAvailable(ctx context.Context, req *vesselpb.Specification, rsp *vesselpb.Response) error {
	if _, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator, auth.RoleService); err != nil {
		return err
	}
	v, err := h.svc.FindAvailable(ctx, specFromPB(req))
	if err != nil {
		return h.answers.Answer(ctx, "FindAvailable", err)
	}
	rsp.Vessel = vesselToPB(v)
	return nil
}

// Create adds a vessel, with a new id when req has none, and answers with
// the stored vessel and created set. The remaining room in req is ignored.
// Operators only: it is how an operator adds a vessel to the fleet.
func (h *Handler) Create(ctx context.Context, req *vesselpb.Vessel, rsp *vesselpb.Response) error {
	if _, err := auth.Require(ctx, auth.RoleOperator); err != nil {
		return err
	}
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
// booked with other containers or weight. The consignment service only.
func (h *Handler) Book(ctx context.Context, req *vesselpb.BookRequest, rsp *vesselpb.BookResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	b, v, err := h.svc.Book(ctx, bookRequestFromPB(req))
	if err != nil {
		return h.answers.Answer(ctx, "Book", err)
	}
	rsp.Booking = bookingToPB(b)
	rsp.Vessel = vesselToPB(v)
	return nil
}

// Release gives a consignment's room back; released is false when it held
// none. The consignment service only.
func (h *Handler) Release(ctx context.Context, req *vesselpb.ReleaseRequest, rsp *vesselpb.ReleaseResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	released, err := h.svc.Release(ctx, req.GetConsignmentId())
	if err != nil {
		return h.answers.Answer(ctx, "Release", err)
	}
	rsp.Released = released
	return nil
}

// ListVessels answers with the whole fleet in id order. Any signed-in
// caller.
func (h *Handler) ListVessels(ctx context.Context, _ *vesselpb.ListVesselsRequest, rsp *vesselpb.ListVesselsResponse) error {
	if _, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator, auth.RoleService); err != nil {
		return err
	}
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

// BookBatch books each item as Book would, held by the request's holder
// for hold_millis, and answers with one result per item: its booking, or
// its error as the reason and the detail a Book of it would answer with
// (UNAVAILABLE "hold expired, being settled" for a consignment whose hold
// ran out). The call fails as a whole, with 400, when the holder,
// hold_millis or the number of items is invalid, and when the store did
// no item. The consignment service only.
func (h *Handler) BookBatch(ctx context.Context, req *vesselpb.BookBatchRequest, rsp *vesselpb.BookBatchResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	items := req.GetItems()
	reqs := make([]vessel.BookRequest, len(items))
	for i, item := range items {
		reqs[i] = bookRequestFromPB(item)
	}
	outcomes, err := h.svc.BookBatch(ctx, req.GetHolder(), holdFromPB(req.GetHoldMillis()), reqs)
	if err != nil {
		return h.answers.Answer(ctx, "BookBatch", err)
	}
	h.failpoint.Hit(failpoint.AfterHold)
	rsp.Results = h.results(ctx, outcomes)
	return nil
}

// results converts BookBatch's outcomes, allocating the messages together,
// and logs once the errors of items whose answer hides them.
func (h *Handler) results(ctx context.Context, outcomes []vessel.BookOutcome) []*vesselpb.BookResult {
	booked := 0
	for _, o := range outcomes {
		if o.Err == nil {
			booked++
		}
	}
	results := make([]*vesselpb.BookResult, len(outcomes))
	messages := make([]vesselpb.BookResult, len(outcomes))
	bookings := make([]vesselpb.Booking, booked)
	var hidden error // the first error an item's answer hides
	failed := 0
	for i, o := range outcomes {
		r := &messages[i]
		results[i] = r
		if o.Err == nil {
			r.Booking = &bookings[0]
			bookings = bookings[1:]
			setBooking(r.Booking, o.Booking)
			continue
		}
		reason, detail := answer(o.Err)
		r.Error = &vesselpb.BookError{Reason: string(reason), Detail: detail}
		if (reason == rpcerr.Unavailable && !errors.Is(o.Err, vessel.ErrHoldExpired) && !errors.Is(o.Err, vessel.ErrHeldElsewhere)) || reason == rpcerr.Internal {
			failed++
			if hidden == nil {
				hidden = o.Err
			}
		}
	}
	if hidden != nil {
		h.logger.WarnContext(ctx, "items failed", "method", "BookBatch", "items", failed, "error", hidden)
	}
	return results
}

// ConfirmBookings ends the hold of the named bookings and answers with how
// many were held. 400 for more than 1000 ids or an invalid one. The
// consignment service only.
func (h *Handler) ConfirmBookings(ctx context.Context, req *vesselpb.ConfirmBookingsRequest, rsp *vesselpb.ConfirmBookingsResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	n, err := h.svc.Confirm(ctx, req.GetConsignmentIds())
	if err != nil {
		return h.answers.Answer(ctx, "ConfirmBookings", err)
	}
	h.failpoint.Hit(failpoint.AfterConfirm)
	rsp.Confirmed = int32(n)
	return nil
}

// ListExpiredHolds answers with at most limit bookings of the holder whose
// hold has run out. 400 for no holder or a limit outside 1 to 1000. The
// consignment service only.
func (h *Handler) ListExpiredHolds(ctx context.Context, req *vesselpb.ListExpiredHoldsRequest, rsp *vesselpb.ListExpiredHoldsResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	holds, err := h.svc.ListExpiredHolds(ctx, req.GetHolder(), int(req.GetLimit()))
	if err != nil {
		return h.answers.Answer(ctx, "ListExpiredHolds", err)
	}
	messages := make([]vesselpb.Booking, len(holds))
	rsp.Bookings = make([]*vesselpb.Booking, len(holds))
	for i, b := range holds {
		setBooking(&messages[i], b)
		rsp.Bookings[i] = &messages[i]
	}
	return nil
}

// ReleaseExpiredHold gives the room of a held booking whose hold has run
// out back; released is false when the consignment holds no booking, a
// confirmed one, or one still held. The consignment service only.
func (h *Handler) ReleaseExpiredHold(ctx context.Context, req *vesselpb.ReleaseRequest, rsp *vesselpb.ReleaseResponse) error {
	if err := consignmentServiceOnly(ctx); err != nil {
		return err
	}
	released, err := h.svc.ReleaseExpiredHold(ctx, req.GetConsignmentId())
	if err != nil {
		return h.answers.Answer(ctx, "ReleaseExpiredHold", err)
	}
	rsp.Released = released
	return nil
}

// consignmentServiceOnly lets through the consignment service, which alone
// books and releases room: a caller with role service whose token the
// consignment service signed (its issuer, which the server's auth wrapper
// checked against that service's keys). It answers like auth.Require
// otherwise: 401 without claims, 403 for any other caller.
func consignmentServiceOnly(ctx context.Context) error {
	claims, err := auth.Require(ctx, auth.RoleService)
	if err != nil {
		return err
	}
	if claims.Issuer != consignmentpb.ServiceName {
		return rpcerr.New(vesselpb.ServiceName, rpcerr.Forbidden, "forbidden: only the consignment service may book and release room")
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
//	vessel.ErrHoldExpired  UNAVAILABLE (503) "hold expired, being settled" (a BookBatch item's)
//	vessel.ErrHeldElsewhere UNAVAILABLE (503) "held by another consignment store" (a BookBatch item's)
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
	case errors.Is(err, vessel.ErrHoldExpired):
		return rpcerr.Unavailable, "hold expired, being settled"
	case errors.Is(err, vessel.ErrHeldElsewhere):
		return rpcerr.Unavailable, "held by another consignment store"
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
	m := new(vesselpb.Booking)
	setBooking(m, b)
	return m
}

// setBooking sets the fields of m, a new message, to b.
func setBooking(m *vesselpb.Booking, b vessel.Booking) {
	m.ConsignmentId, m.VesselId, m.Containers, m.Weight = b.ConsignmentID, b.VesselID, b.Containers, b.Weight
	if b.Held() {
		m.Holder, m.HeldUntilUnixMillis = b.Holder, b.HeldUntil.UnixMilli()
	}
}

// holdFromPB converts hold_millis to a duration, saturated at the ends of
// a time.Duration (the service refuses those).
func holdFromPB(ms int64) time.Duration {
	const limit = math.MaxInt64 / int64(time.Millisecond)
	switch {
	case ms > limit:
		return math.MaxInt64
	case ms < -limit:
		return math.MinInt64
	}
	return time.Duration(ms) * time.Millisecond
}
