// Package vesselclient books room on vessels through the vessel service. It
// implements consignment.Booker over the generated go-micro client and maps
// the vessel service's errors back to the consignment domain's.
package vesselclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go-micro.dev/v5/client"

	"github.com/shippy-suite/shippy/platform/rpcerr"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// DefaultTimeout bounds each Book or Release call, retries included, when
// New is given no timeout.
const DefaultTimeout = 5 * time.Second

// Retry policy. Book and Release are idempotent by consignment id, so a
// call that failed as unavailable is safe to repeat.
const (
	attempts       = 3
	initialBackoff = 50 * time.Millisecond
)

// VesselService is the part of the generated vesselpb.VesselService client
// that Client calls.
type VesselService interface {
	Book(ctx context.Context, in *vesselpb.BookRequest, opts ...client.CallOption) (*vesselpb.BookResponse, error)
	Release(ctx context.Context, in *vesselpb.ReleaseRequest, opts ...client.CallOption) (*vesselpb.ReleaseResponse, error)
}

// Client is a consignment.Booker backed by the vessel service.
//
// Every call runs under a deadline of the configured timeout (or the
// caller's, when sooner), and the retries live here, not in the go-micro
// client: each call passes client.WithRetries(0), so the attempts do not
// multiply with the client's own policy. A call that fails as unavailable
// (503, no instance in the registry, a transport error) is tried up to 3
// times in all, 50 ms then 100 ms apart, while the deadline allows.
type Client struct {
	vessels VesselService
	timeout time.Duration
}

var _ consignment.Booker = (*Client)(nil)

// New returns a Client calling vessels. A zero timeout means DefaultTimeout.
// In a service, vessels is vesselpb.NewVesselService(vesselpb.ServiceName,
// svc.Client()).
func New(vessels VesselService, timeout time.Duration) (*Client, error) {
	if vessels == nil {
		return nil, errors.New("new vessel client: nil vessel service")
	}
	if timeout < 0 {
		return nil, fmt.Errorf("new vessel client: negative timeout %s", timeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Client{vessels: vessels, timeout: timeout}, nil
}

// Book takes room for the consignment and returns the vessel it is booked
// on. Errors: consignment.ErrNoRoom, consignment.ErrConflict (the id is
// booked with other sizes), consignment.ErrUnavailable (wrapped with the
// cause); anything else is internal.
func (c *Client) Book(ctx context.Context, consignmentID string, containers, weight int32) (string, error) {
	req := &vesselpb.BookRequest{ConsignmentId: consignmentID, Containers: containers, Weight: weight}
	var rsp *vesselpb.BookResponse
	err := c.call(ctx, func(ctx context.Context, opts ...client.CallOption) error {
		var err error
		rsp, err = c.vessels.Book(ctx, req, opts...)
		return err
	})
	if err != nil {
		return "", err
	}
	vesselID := rsp.GetBooking().GetVesselId()
	if vesselID == "" {
		return "", errors.New("vessel service: book answered without a vessel id")
	}
	return vesselID, nil
}

// Release gives the consignment's room back; releasing a consignment that
// holds no booking succeeds. Errors as for Book.
func (c *Client) Release(ctx context.Context, consignmentID string) error {
	req := &vesselpb.ReleaseRequest{ConsignmentId: consignmentID}
	return c.call(ctx, func(ctx context.Context, opts ...client.CallOption) error {
		_, err := c.vessels.Release(ctx, req, opts...)
		return err
	})
}

// call runs do under the deadline, retrying it while it fails as
// unavailable, and returns its last error mapped to the domain's. It does
// not wait for a retry that the deadline would cut short.
func (c *Client) call(ctx context.Context, do func(context.Context, ...client.CallOption) error) error {
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

// mapError maps an error from the go-micro client to the consignment
// domain's, by the reason rpcerr.Classify reads in it:
//
//	NO_ROOM                                -> consignment.ErrNoRoom
//	CONFLICT                               -> consignment.ErrConflict
//	TIMEOUT, UNAVAILABLE, NOT_REGISTERED,
//	LOOKUP_FAILED, UNREACHABLE, UNKNOWN
//	(the call may not have reached the
//	service, or found it unable to serve)  -> consignment.ErrUnavailable
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
