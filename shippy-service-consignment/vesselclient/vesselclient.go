// Package vesselclient books room on vessels through the vessel service. It
// implements consignment.Booker over the generated go-micro client, shares
// BookBatch calls between concurrent Books, and maps the vessel service's
// errors, of calls and of each item of a batch, back to the consignment
// domain's.
package vesselclient

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go-micro.dev/v5/client"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/batch"
	"github.com/shippy-suite/shippy/platform/failpoint"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// DefaultTimeout bounds each call to the vessel service, retries included,
// when New is given no timeout.
const DefaultTimeout = 5 * time.Second

// Retry policy. Every call is idempotent by consignment id, so a call that
// failed as unavailable is safe to repeat.
const (
	attempts       = 3
	initialBackoff = 50 * time.Millisecond
)

// maxBatch is the most items a BookBatch or ConfirmBookings call carries,
// and the most bookings ListExpiredHolds returns: the vessel service's
// limit.
const maxBatch = 1000

// VesselService is the part of the generated vesselpb.VesselService client
// that Client calls.
type VesselService interface {
	BookBatch(ctx context.Context, in *vesselpb.BookBatchRequest, opts ...client.CallOption) (*vesselpb.BookBatchResponse, error)
	ConfirmBookings(ctx context.Context, in *vesselpb.ConfirmBookingsRequest, opts ...client.CallOption) (*vesselpb.ConfirmBookingsResponse, error)
	ListExpiredHolds(ctx context.Context, in *vesselpb.ListExpiredHoldsRequest, opts ...client.CallOption) (*vesselpb.ListExpiredHoldsResponse, error)
	ReleaseExpiredHold(ctx context.Context, in *vesselpb.ReleaseRequest, opts ...client.CallOption) (*vesselpb.ReleaseResponse, error)
	Release(ctx context.Context, in *vesselpb.ReleaseRequest, opts ...client.CallOption) (*vesselpb.ReleaseResponse, error)
}

// Client is a consignment.Booker backed by the vessel service.
//
// Book shares calls: it sends one BookBatch at a time, and the Books that
// arrive while one is in flight go together in the next (at most 1000);
// each Book returns on its own context. The bookings are held for
// consignment.LeaseDuration by the holder id the store keeps
// (consignment.Repository.Holder), read once.
//
// Every call runs under a deadline of the configured timeout (or the
// caller's, when sooner; a BookBatch, which is no one caller's, under the
// timeout alone), and the retries live here, not in the go-micro
// client: each call passes client.WithRetries(0), so the attempts do not
// multiply with the client's own policy. A call that fails as unavailable
// (503, no instance in the registry, a transport error) is tried up to 3
// times in all, 50 ms then 100 ms apart, while the deadline allows.
type Client struct {
	vessels    VesselService
	timeout    time.Duration
	readHolder func(context.Context) (string, error)
	holder     atomic.Pointer[string] // once read
	books      *batch.Queue[bookItem, bookResult]
	// credentials returns the token every call carries (the service's
	// own, never its caller's); nil sends none.
	credentials func() (string, error)
	// failpoint kills the process before a hold is asked for, or once
	// it is answered, in the kill tests; nil otherwise.
	failpoint *failpoint.Point
}

// bookItem is one Book waiting for a BookBatch.
type bookItem struct {
	id                 string
	containers, weight int32
}

// bookResult is the outcome of one item of a BookBatch.
type bookResult struct {
	vesselID string
	err      error
}

var _ consignment.Booker = (*Client)(nil)

// New returns a Client calling vessels, whose bookings are held by the id
// holder returns (the store's Repository.Holder, asked until it first
// answers), with the token credentials returns on every call (the
// service's own: auth.ServiceTokens; nil sends none, and drops the
// caller's). A zero timeout means DefaultTimeout. In a service, vessels is
// vesselpb.NewVesselService(vesselpb.ServiceName, svc.Client()). fp is nil
// but in the tests that kill the service at a step (failpoint.BeforeBook,
// failpoint.BeforeStore).
func New(vessels VesselService, holder func(context.Context) (string, error), credentials func() (string, error), timeout time.Duration, fp *failpoint.Point) (*Client, error) {
	switch {
	case vessels == nil:
		return nil, errors.New("new vessel client: nil vessel service")
	case holder == nil:
		return nil, errors.New("new vessel client: nil holder")
	case timeout < 0:
		return nil, fmt.Errorf("new vessel client: negative timeout %s", timeout)
	case timeout == 0:
		timeout = DefaultTimeout
	}
	c := &Client{vessels: vessels, timeout: timeout, readHolder: holder, credentials: credentials, failpoint: fp}
	books, err := batch.New(maxBatch, c.sendBooks)
	if err != nil {
		return nil, fmt.Errorf("new vessel client: %w", err)
	}
	c.books = books
	return c, nil
}

// Book takes room for the consignment, held, and returns the vessel it is
// booked on (consignment.Booker). Errors: consignment.ErrNoRoom,
// consignment.ErrConflict (the id is booked with other sizes),
// consignment.ErrUnavailable (wrapped with the cause, also when ctx ends
// first or the hold has run out); anything else is internal.
func (c *Client) Book(ctx context.Context, consignmentID string, containers, weight int32) (string, error) {
	c.failpoint.Hit(failpoint.BeforeBook)
	r, err := c.books.Do(ctx, bookItem{id: consignmentID, containers: containers, weight: weight})
	switch {
	case err == nil:
		if r.err == nil {
			c.failpoint.Hit(failpoint.BeforeStore)
		}
		return r.vesselID, r.err
	case ctx.Err() != nil || errors.Is(err, batch.ErrClosed):
		return "", fmt.Errorf("vessel service: %w: %w", consignment.ErrUnavailable, err)
	}
	return "", err // the BookBatch call's, mapped
}

// sendBooks sends one BookBatch for items and maps each item's result to
// the consignment domain's, as a single Book's error would be.
func (c *Client) sendBooks(ctx context.Context, items []bookItem) ([]bookResult, error) {
	holder, err := c.holderID(ctx)
	if err != nil {
		return nil, err
	}
	reqs := make([]vesselpb.BookRequest, len(items))
	req := &vesselpb.BookBatchRequest{
		Holder:     holder,
		HoldMillis: consignment.LeaseDuration.Milliseconds(),
		Items:      make([]*vesselpb.BookRequest, len(items)),
	}
	for i, it := range items {
		reqs[i].ConsignmentId, reqs[i].Containers, reqs[i].Weight = it.id, it.containers, it.weight
		req.Items[i] = &reqs[i]
	}
	rsp, err := callRPC(ctx, c, c.vessels.BookBatch, req)
	if err != nil {
		return nil, err
	}
	if len(rsp.GetResults()) != len(items) {
		return nil, fmt.Errorf("vessel service: BookBatch answered %d results for %d items", len(rsp.GetResults()), len(items))
	}
	results := make([]bookResult, len(items))
	for i, r := range rsp.GetResults() {
		booking := r.GetBooking()
		switch e := r.GetError(); {
		case e != nil:
			results[i].err = mapError(rpcerr.New(vesselpb.ServiceName, rpcerr.Reason(e.GetReason()), e.GetDetail()))
		case booking.GetVesselId() == "" || booking.GetConsignmentId() != items[i].id:
			results[i].err = fmt.Errorf("vessel service: BookBatch answered item %d (%q) with booking %v", i, items[i].id, booking)
		default:
			results[i].vesselID = booking.GetVesselId()
		}
	}
	return results, nil
}

// Confirm ends the holds of the bookings of ids, any number of them, in
// calls of at most 1000 (consignment.Booker). Errors as for Release.
func (c *Client) Confirm(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), maxBatch)
		req := &vesselpb.ConfirmBookingsRequest{ConsignmentIds: ids[:n]}
		if _, err := callRPC(ctx, c, c.vessels.ConfirmBookings, req); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// ExpiredHolds returns the ids of up to limit bookings held by this
// client's holder whose hold has run out (consignment.Booker); limit is
// brought within 1 to 1000. Errors as for Release.
func (c *Client) ExpiredHolds(ctx context.Context, limit int) ([]string, error) {
	holder, err := c.holderID(ctx)
	if err != nil {
		return nil, err
	}
	req := &vesselpb.ListExpiredHoldsRequest{Holder: holder, Limit: int32(min(max(limit, 1), maxBatch))}
	rsp, err := callRPC(ctx, c, c.vessels.ListExpiredHolds, req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rsp.GetBookings()))
	for i, b := range rsp.GetBookings() {
		ids[i] = b.GetConsignmentId()
	}
	return ids, nil
}

// ReleaseExpiredHold gives the consignment's room back if its booking is
// held and its hold has run out, and reports whether it did
// (consignment.Booker). Errors as for Release.
func (c *Client) ReleaseExpiredHold(ctx context.Context, consignmentID string) (bool, error) {
	req := &vesselpb.ReleaseRequest{ConsignmentId: consignmentID}
	rsp, err := callRPC(ctx, c, c.vessels.ReleaseExpiredHold, req)
	if err != nil {
		return false, err
	}
	return rsp.GetReleased(), nil
}

// Release gives the consignment's room back, held or not; releasing a
// consignment that holds no booking succeeds. Errors:
// consignment.ErrUnavailable (wrapped with the cause); anything else is
// internal.
func (c *Client) Release(ctx context.Context, consignmentID string) error {
	req := &vesselpb.ReleaseRequest{ConsignmentId: consignmentID}
	_, err := callRPC(ctx, c, c.vessels.Release, req)
	return err
}

// holderID returns the holder id, reading it (under the timeout) until it
// is first read.
func (c *Client) holderID(ctx context.Context) (string, error) {
	if h := c.holder.Load(); h != nil {
		return *h, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	h, err := c.readHolder(ctx)
	if err == nil && h == "" {
		err = errors.New("empty id")
	}
	if err != nil {
		return "", fmt.Errorf("read holder id: %w", err)
	}
	c.holder.Store(&h)
	return h, nil
}

// call runs do under the deadline, retrying it while it fails as
// unavailable, and returns its last error mapped to the domain's. It does
// not wait for a retry that the deadline would cut short.
func (c *Client) call(ctx context.Context, do func(context.Context, ...client.CallOption) error) error {
	token := ""
	if c.credentials != nil {
		var err error
		if token, err = c.credentials(); err != nil {
			return fmt.Errorf("vessel service credentials: %w", err)
		}
	}
	// The context of a handler carries its caller's metadata, token
	// included, which go-micro's client would send on: the vessel service
	// gets this service's token, or none.
	ctx = auth.WithToken(ctx, token)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	backoff := initialBackoff
	for attempt := 1; ; attempt++ {
		err := mapError(do(ctx, client.WithRetries(0)))
		if err == nil || !errors.Is(err, consignment.ErrUnavailable) || attempt == attempts || time.Until(deadline) < backoff {
			return err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return err
		}
		backoff *= 2
	}
}

// callRPC calls method, an RPC of the vessel service, with req as call
// does, and returns the answer of its last try.
func callRPC[Req, Rsp any](ctx context.Context, c *Client, method func(context.Context, Req, ...client.CallOption) (Rsp, error), req Req) (Rsp, error) {
	var rsp Rsp
	err := c.call(ctx, func(ctx context.Context, opts ...client.CallOption) error {
		var err error
		rsp, err = method(ctx, req, opts...)
		return err
	})
	return rsp, err
}

// mapError maps an error from the go-micro client, or the BookError of an
// item of a BookBatch (as rpcerr.New of its reason and detail), to the
// consignment domain's, by the reason rpcerr.Classify reads in it:
//
//	NO_ROOM                                -> consignment.ErrNoRoom
//	CONFLICT                               -> consignment.ErrConflict
//	TIMEOUT, UNAVAILABLE, NOT_REGISTERED,
//	LOOKUP_FAILED, UNREACHABLE, UNKNOWN
//	(the call may not have reached the
//	service, or found it unable to serve,
//	or the item's hold ran out)            -> consignment.ErrUnavailable
//	anything else, INVALID included        -> an internal error
//
// INVALID is internal because the consignment was validated before it was
// booked: the vessel service disagreeing is a bug, not bad input.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	f := rpcerr.Classify(err)
	switch f.Reason {
	case rpcerr.NoRoom:
		return fmt.Errorf("vessel service: %w", consignment.ErrNoRoom)
	case rpcerr.Conflict:
		return fmt.Errorf("vessel service: %w", consignment.ErrConflict)
	case rpcerr.Timeout, rpcerr.Unavailable, rpcerr.NotRegistered, rpcerr.LookupFailed, rpcerr.Unreachable, rpcerr.Unknown:
		return fmt.Errorf("vessel service: %w: %s", consignment.ErrUnavailable, f.Detail)
	}
	return fmt.Errorf("vessel service: %d %s", f.Code, f.Detail)
}
