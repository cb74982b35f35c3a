package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// shippingService is what the CLI calls on the consignment service. The
// generated go-micro client implements it; tests use a fake.
type shippingService interface {
	CreateConsignment(ctx context.Context, in *consignmentpb.Consignment, opts ...client.CallOption) (*consignmentpb.Response, error)
	GetConsignments(ctx context.Context, in *consignmentpb.GetRequest, opts ...client.CallOption) (*consignmentpb.Response, error)
}

var _ shippingService = consignmentpb.ShippingService(nil)

// pageSize is the number of consignments list asks for per call.
const pageSize = 500

// While the registry finds no instance of the service, a call is tried
// lookupAttempts times in all, lookupDelay apart, within its timeout. An
// mDNS lookup waits 100 ms for answers and can miss an instance when many
// clients ask at once; nothing was sent, so asking again is safe.
const (
	lookupAttempts = 3
	lookupDelay    = 150 * time.Millisecond
)

// commands runs the CLI's commands against one consignment service.
type commands struct {
	svc shippingService
	out io.Writer
	// asJSON selects machine-readable output.
	asJSON bool
	// timeout bounds each call.
	timeout time.Duration
	// registry says how the service is looked up, for errors:
	// "MICRO_REGISTRY=mdns".
	registry string
}

// run runs what opts ask for: create c, read from opts.file, then list, or
// either alone.
func (cmd *commands) run(ctx context.Context, opts options, c consignment.Consignment) error {
	if opts.create {
		if err := cmd.create(ctx, opts.file, c); err != nil {
			return err
		}
	}
	if opts.list {
		return cmd.list(ctx)
	}
	return nil
}

// create sends c, read from file, to the service and prints the consignment
// it booked. A c without an id gets a new one, so that the service, which
// is idempotent by id, can take a retried call for the same request.
func (cmd *commands) create(ctx context.Context, file string, c consignment.Consignment) error {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	rsp, err := call(ctx, cmd.timeout, func(ctx context.Context) (*consignmentpb.Response, error) {
		return cmd.svc.CreateConsignment(ctx, toProto(c))
	})
	if err != nil {
		return cmd.createError(ctx, file, c, err)
	}
	if rsp.GetConsignment() == nil {
		return fmt.Errorf("%s returned no consignment for %s", consignmentpb.ServiceName, c.ID)
	}
	return printCreated(cmd.out, cmd.asJSON, rsp.GetConsignment())
}

// list prints every consignment, fetched a page at a time.
func (cmd *commands) list(ctx context.Context) error {
	cs, err := cmd.fetchAll(ctx)
	if err != nil {
		return err
	}
	return printList(cmd.out, cmd.asJSON, cs)
}

// fetchAll pages through GetConsignments until a page comes without a next
// page token. A service that ignores paging returns everything at once.
func (cmd *commands) fetchAll(ctx context.Context) ([]*consignmentpb.Consignment, error) {
	var all []*consignmentpb.Consignment
	token := ""
	for {
		rsp, err := cmd.fetchPage(ctx, token)
		if err != nil {
			return nil, err
		}
		all = append(all, rsp.GetConsignments()...)
		next := rsp.GetNextPageToken()
		if next == "" {
			return all, nil
		}
		if next == token {
			return nil, fmt.Errorf("%s returned page token %q again", consignmentpb.ServiceName, next)
		}
		token = next
	}
}

func (cmd *commands) fetchPage(ctx context.Context, token string) (*consignmentpb.Response, error) {
	rsp, err := call(ctx, cmd.timeout, func(ctx context.Context) (*consignmentpb.Response, error) {
		return cmd.svc.GetConsignments(ctx, &consignmentpb.GetRequest{Limit: pageSize, PageToken: token})
	})
	if err != nil {
		return nil, cmd.callError(ctx, err)
	}
	return rsp, nil
}

// call runs fn with a context that ends after timeout, and runs it again
// while the registry finds no instance of the service (see lookupAttempts).
// It returns fn's last result.
func call[T any](ctx context.Context, timeout time.Duration, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		rsp, err := fn(ctx)
		if err == nil || attempt == lookupAttempts || !notRegistered(microerrors.FromError(err)) {
			return rsp, err
		}
		select {
		case <-ctx.Done():
			return rsp, err
		case <-time.After(lookupDelay):
		}
	}
}

// createError turns the failure of a create into the error run reports:
// the codes that concern the consignment first, then callError's.
func (cmd *commands) createError(ctx context.Context, file string, c consignment.Consignment, err error) error {
	if ctx.Err() == nil {
		switch e := microerrors.FromError(err); e.Code {
		case http.StatusBadRequest:
			return errorf(exitBadInput, "%s: rejected by %s: %s", file, consignmentpb.ServiceName, e.Detail)
		case http.StatusConflict:
			return errorf(exitBadInput, "%s: id %q is already used by a different consignment", file, c.ID)
		case http.StatusPreconditionFailed:
			return errorf(exitNoRoom, "no vessel has room for %s weighing %d kg", countContainers(len(c.Containers)), c.Weight)
		}
	}
	return cmd.callError(ctx, err)
}

// callError turns the failure of a call to the service into the error run
// reports. ctx is the context the call's own was derived from: when it is
// done, the user interrupted the command.
func (cmd *commands) callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	name := consignmentpb.ServiceName
	e := microerrors.FromError(err)
	switch {
	case e.Code == http.StatusRequestTimeout || errors.Is(err, context.DeadlineExceeded):
		return errorf(exitTimeout, "%s did not answer within %s", name, cmd.timeout)
	case e.Code == http.StatusServiceUnavailable && e.Id == name:
		// The service itself answered: something it needs is unavailable.
		return errorf(exitUnreachable, "%s is unavailable: %s", name, e.Detail)
	case notRegistered(e):
		return errorf(exitUnreachable, "%s is unreachable via %s: no instance is registered; is it running?", name, cmd.registry)
	case isClientError(e, "error selecting "+name+" node: "):
		return errorf(exitUnreachable, "%s is unreachable: looking it up via %s failed: %s; is the registry running?",
			name, cmd.registry, strings.TrimPrefix(e.Detail, "error selecting "+name+" node: "))
	case e.Code == http.StatusServiceUnavailable || isClientError(e, "connection refused"):
		return errorf(exitUnreachable, "%s is unreachable via %s: %s; is it running?", name, cmd.registry, shortDetail(e.Detail))
	case e.Code == 0: // not a go-micro error
		return fmt.Errorf("call %s: %w", name, err)
	}
	return fmt.Errorf("%s failed: %s (%d %s)", name, e.Detail, e.Code, http.StatusText(int(e.Code)))
}

// isClientError reports whether e is the go-micro client's own 500 error
// with a detail that contains s. The client reports failures to reach an
// instance that way: "service shippy.service.consignment: not found" when
// the registry has none.
func isClientError(e *microerrors.Error, s string) bool {
	return e.Code == http.StatusInternalServerError && strings.Contains(e.Detail, s)
}

// notRegistered reports whether e is the go-micro client's report that the
// registry has no instance of the consignment service.
func notRegistered(e *microerrors.Error) bool {
	return isClientError(e, "service "+consignmentpb.ServiceName+": not found")
}

// shortDetail keeps "connection refused" from the long error gRPC gives
// for it, and any other detail whole.
func shortDetail(detail string) string {
	if strings.Contains(detail, "connection refused") {
		return "connection refused"
	}
	return detail
}

// toProto is the message that asks the service to create c.
func toProto(c consignment.Consignment) *consignmentpb.Consignment {
	out := &consignmentpb.Consignment{
		Id:          c.ID,
		Description: c.Description,
		Weight:      c.Weight,
	}
	for _, ct := range c.Containers {
		out.Containers = append(out.Containers, &consignmentpb.Container{
			Id:         ct.ID,
			CustomerId: ct.CustomerID,
			Origin:     ct.Origin,
			UserId:     ct.UserID,
		})
	}
	return out
}
