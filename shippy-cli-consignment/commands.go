package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/client"

	"github.com/shippy-suite/shippy/domain/consignment"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

// shippingService is what the CLI calls on the consignment service. The
// generated go-micro client implements it; tests use a fake.
type shippingService interface {
	CreateConsignment(ctx context.Context, in *consignmentpb.Consignment, opts ...client.CallOption) (*consignmentpb.Response, error)
	GetConsignments(ctx context.Context, in *consignmentpb.GetRequest, opts ...client.CallOption) (*consignmentpb.Response, error)
	CancelConsignment(ctx context.Context, in *consignmentpb.CancelRequest, opts ...client.CallOption) (*consignmentpb.CancelResponse, error)
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

// commands runs the CLI's commands against the consignment and user
// services.
type commands struct {
	svc   shippingService
	users userService
	out   io.Writer
	// notes receives warnings that are not the command's result (stderr).
	notes io.Writer
	// asJSON selects machine-readable output.
	asJSON bool
	// timeout bounds each call.
	timeout time.Duration
	// registry says how the service is looked up, for errors:
	// "MICRO_REGISTRY=mdns".
	registry string
	// tokenSource says where the token the calls carry came from (see
	// token.source), for the error of a refused call.
	tokenSource string
	// passwords reads the password of user create and login.
	passwords passwordReader
	// tokens is where login stores the token and logout removes it.
	tokens tokenStore
	now    func() time.Time
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
	return printConsignment(cmd.out, cmd.asJSON, createdFormat, rsp.GetConsignment())
}

// cancel cancels the consignment with the id and prints it. A repeat
// succeeds as the first cancel did.
func (cmd *commands) cancel(ctx context.Context, id string) error {
	rsp, err := call(ctx, cmd.timeout, func(ctx context.Context) (*consignmentpb.CancelResponse, error) {
		return cmd.svc.CancelConsignment(ctx, &consignmentpb.CancelRequest{Id: id})
	})
	if err != nil {
		if ctx.Err() == nil {
			switch f := rpcerr.Classify(err); f.Reason {
			case rpcerr.NotFound:
				return errorf(exitBadInput, "no consignment of yours has id %q", id)
			case rpcerr.Invalid:
				return errorf(exitBadInput, "cancel %q: rejected by %s: %s", id, consignmentpb.ServiceName, f.Detail)
			}
		}
		return cmd.callError(ctx, consignmentpb.ServiceName, err)
	}
	if rsp.GetConsignment() == nil {
		return fmt.Errorf("%s returned no consignment for %s", consignmentpb.ServiceName, id)
	}
	return printConsignment(cmd.out, cmd.asJSON, cancelledFormat, rsp.GetConsignment())
}

// list prints every consignment the caller may see, fetched a page at a
// time.
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
		return nil, cmd.callError(ctx, consignmentpb.ServiceName, err)
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
		if err == nil || attempt == lookupAttempts || rpcerr.Classify(err).Reason != rpcerr.NotRegistered {
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
// the reasons that concern the consignment first, then callError's.
func (cmd *commands) createError(ctx context.Context, file string, c consignment.Consignment, err error) error {
	if ctx.Err() == nil {
		switch f := rpcerr.Classify(err); f.Reason {
		case rpcerr.Invalid:
			return errorf(exitBadInput, "%s: rejected by %s: %s", file, consignmentpb.ServiceName, f.Detail)
		case rpcerr.Conflict:
			return errorf(exitBadInput, "%s: id %q is already used by a different consignment", file, c.ID)
		case rpcerr.NoRoom:
			return errorf(exitNoRoom, "no vessel has room for %s weighing %d kg", countContainers(len(c.Containers)), c.Weight)
		}
	}
	return cmd.callError(ctx, consignmentpb.ServiceName, err)
}

// callError turns the failure of a call to the service name into the error
// run reports, by the reason rpcerr.Classify reads in it. ctx is the context the call's own was derived from: when it is
// done, the user interrupted the command.
func (cmd *commands) callError(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	switch f := rpcerr.Classify(err); f.Reason {
	case rpcerr.Unauthenticated, rpcerr.Forbidden:
		return authError(name, f, cmd.tokenSource)
	case rpcerr.Timeout:
		return errorf(exitTimeout, "%s did not answer within %s", name, cmd.timeout)
	case rpcerr.Unavailable:
		// The service itself answered: something it needs is unavailable.
		return errorf(exitUnreachable, "%s is unavailable: %s", name, f.Detail)
	case rpcerr.NotRegistered:
		return errorf(exitUnreachable, "%s is unreachable via %s: no instance is registered; is it running?", name, cmd.registry)
	case rpcerr.LookupFailed:
		return errorf(exitUnreachable, "%s is unreachable: looking it up via %s failed: %s; is the registry running?", name, cmd.registry, f.Cause)
	case rpcerr.Unreachable:
		return errorf(exitUnreachable, "%s is unreachable via %s: %s; is it running?", name, cmd.registry, f.Cause)
	case rpcerr.Unknown:
		return fmt.Errorf("call %s: %w", name, err)
	default:
		return fmt.Errorf("%s failed: %s (%d %s)", name, f.Detail, f.Code, http.StatusText(int(f.Code)))
	}
}

// loginHint is how to sign in, for errors.
const loginHint = "'" + progName + " login --email EMAIL'"

// authError is the error, with exit code exitAuth, for a call to the
// service name refused with f: rpcerr.Unauthenticated (401, or gRPC's
// Unauthenticated) or rpcerr.Forbidden (403, or PermissionDenied). source says where
// the token the call carried came from (token.source), so that the line
// says what to do about it. The detail of a 401 is left out: the line says
// all the user can act on.
func authError(name string, f rpcerr.Failure, source string) error {
	if f.Reason == rpcerr.Forbidden {
		detail := ""
		if f.Detail != "" {
			detail = " (" + f.Detail + ")"
		}
		return errorf(exitAuth, "%s refused: the signed-in account may not do that%s; to use another, run %s", name, detail, loginHint)
	}
	switch source {
	case "":
		return errorf(exitAuth, "not signed in: run %s", loginHint)
	case sourceFlag:
		return errorf(exitAuth, "the token given with --token was refused (expired or not valid): drop it and run %s", loginHint)
	case sourceEnv:
		return errorf(exitAuth, "the token in %s was refused (expired or not valid): unset it and run %s", EnvToken, loginHint)
	}
	return errorf(exitAuth, "not signed in, or the token has expired: run %s", loginHint)
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
