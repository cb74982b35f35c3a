// Package rpcerr is the suite's error codec: the one place where a refused
// call becomes a go-micro error on the wire (New, on the server) and a
// go-micro error becomes a reason again (Classify, on the caller). Handlers
// map their domain errors to a Reason, callers map a Reason back to theirs;
// neither reads an error's text. See docs/errors.md.
package rpcerr

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"syscall"

	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/selector"
)

// Reason says why a call failed. A server sends one of the reasons that
// have a code (Invalid to Unavailable) in the Status field of the go-micro
// error, which go-micro carries over gRPC; Classify finds the others in
// errors that go-micro's client makes itself, and they are never sent.
type Reason string

// Reasons a server answers with, and the go-micro (HTTP) code each has.
const (
	Invalid         Reason = "INVALID"         // 400: the request breaks a rule; the detail names the field
	Unauthenticated Reason = "UNAUTHENTICATED" // 401: no credentials, or credentials refused; the detail says why, never the token
	Forbidden       Reason = "FORBIDDEN"       // 403: valid credentials without the right to do this
	NotFound        Reason = "NOT_FOUND"       // 404: nothing has the id asked for
	Timeout         Reason = "TIMEOUT"         // 408: the call's deadline passed, or it was cancelled
	Conflict        Reason = "CONFLICT"        // 409: the id is taken by different contents
	NoRoom          Reason = "NO_ROOM"         // 412: no vessel has room
	Internal        Reason = "INTERNAL"        // 500: a fault of the service; the detail says no more
	Unavailable     Reason = "UNAVAILABLE"     // 503: the service, or one it needs, cannot serve the call now
)

// Reasons Classify finds in errors that no service sent: those of
// go-micro's own client, and errors that are not go-micro errors.
const (
	NotRegistered Reason = "NOT_REGISTERED" // the registry lists no instance of the service
	LookupFailed  Reason = "LOOKUP_FAILED"  // the registry could not be asked
	Unreachable   Reason = "UNREACHABLE"    // no connection to an instance could be made
	Unknown       Reason = "UNKNOWN"        // not a go-micro error: the transport or a wrapper failed
)

// clientID is the id go-micro's client gives the errors it makes itself.
const clientID = "go.micro.client"

// sent lists the reasons a server answers with.
func sent() []Reason {
	return []Reason{Invalid, Unauthenticated, Forbidden, NotFound, Timeout, Conflict, NoRoom, Internal, Unavailable}
}

// Code is the go-micro code a server answers with for r: 400 for Invalid,
// 401, 403, 404, 408, 409, 412, 503 for Unavailable, and 500 for Internal
// and every reason that is not sent.
func (r Reason) Code() int32 {
	switch r {
	case Invalid:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Timeout:
		return http.StatusRequestTimeout
	case Conflict:
		return http.StatusConflict
	case NoRoom:
		return http.StatusPreconditionFailed
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// New is the error a server answers a call with: id service, the code of
// reason, detail as the caller will see it, and reason in the Status field.
// Return it from a handler unwrapped: go-micro's server carries the fields
// over gRPC only for a *errors.Error.
func New(service string, reason Reason, detail string) *microerrors.Error {
	return &microerrors.Error{Id: service, Code: reason.Code(), Detail: detail, Status: string(reason)}
}

// Failure is a failed call as Classify reads it.
type Failure struct {
	Reason Reason
	// Service is who answered: the id of the go-micro error, the service's
	// name for an answer of the service, "go.micro.client" for an error of
	// go-micro's client; "" when err is not a go-micro error.
	Service string
	// Code is the go-micro code; 0 when err is not a go-micro error.
	Code int32
	// Detail is the error's detail, whole.
	Detail string
	// Cause is what went wrong in a few words: for NotRegistered,
	// LookupFailed and Unreachable, the detail without go-micro's wording
	// around it ("connection refused", the registry's error); for the
	// others, the detail.
	Cause string
}

// Classify reads err, the error of a call through a go-micro client: the
// reason a service sent (New), or, for an answer without one, the reason
// of its code (an unknown code is Internal); Timeout for
// context.DeadlineExceeded; the reason of a failure of go-micro's client;
// Unknown for any other error that is not a go-micro error. A nil err
// gives the zero Failure.
func Classify(err error) Failure {
	if err == nil {
		return Failure{}
	}
	e, ok := microerrors.As(err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) {
			return Failure{Reason: Timeout, Detail: err.Error(), Cause: err.Error()}
		}
		e = microerrors.FromError(err) // a go-micro error that lost its type: its JSON form
	}
	f := Failure{Service: e.Id, Code: e.Code, Detail: e.Detail, Cause: e.Detail}
	switch r := Reason(e.Status); {
	case e.Code == 0:
		return Failure{Reason: Unknown, Detail: err.Error(), Cause: err.Error()}
	case e.Id == clientID:
		f.Reason, f.Cause = clientFailure(e.Code, e.Detail)
	case r.Code() == e.Code && isSent(r):
		f.Reason = r
	default:
		f.Reason = byCode(e.Code)
	}
	return f
}

// isSent reports whether r is a reason a server answers with.
func isSent(r Reason) bool { return slices.Contains(sent(), r) }

// byCode is the reason of an answer that carries none: the reason with its
// code, or Internal.
func byCode(code int32) Reason {
	for _, r := range sent() {
		if r.Code() == code {
			return r
		}
	}
	return Internal
}

// clientFailure classifies an error that go-micro's client made itself, and
// returns its reason and cause. Those errors carry nothing but text, so
// this is the one function of the suite that reads an error's detail; it
// knows the wording of go-micro v5.12.0 (client/grpc/grpc.go and error.go).
// A gRPC status without go-micro's error in it becomes a client error of
// the status's code too: a 503 is a transport that failed.
func clientFailure(code int32, detail string) (Reason, string) {
	// A refused connection, within the long error gRPC gives for it.
	connection := detail
	if refused := syscall.ECONNREFUSED.Error(); strings.Contains(detail, refused) {
		connection = refused
	}
	switch code {
	case http.StatusRequestTimeout:
		return Timeout, detail
	case http.StatusServiceUnavailable:
		return Unreachable, connection
	case http.StatusInternalServerError:
		// "error selecting shippy.service.vessel node: <registry error>"
		if rest, ok := strings.CutPrefix(detail, "error selecting "); ok {
			if _, cause, ok := strings.Cut(rest, " node: "); ok {
				return LookupFailed, cause
			}
		}
		// "service shippy.service.vessel: not found"
		if strings.HasPrefix(detail, "service ") && strings.HasSuffix(detail, ": "+selector.ErrNotFound.Error()) {
			return NotRegistered, detail
		}
		// "Error sending request: <dial error>", the same for a stream
		for _, prefix := range []string{"Error sending request: ", "Error creating stream: "} {
			if strings.HasPrefix(detail, prefix) {
				return Unreachable, connection
			}
		}
	}
	return byCode(code), detail
}

// Answerer turns the errors of one service's handlers into the errors
// their callers get. It is safe for concurrent use.
type Answerer struct {
	service string
	logger  *slog.Logger
	reason  func(error) (Reason, string)
}

// NewAnswerer returns an Answerer for the service: reason maps a domain
// error to the reason and the detail the caller sees; logger receives the
// errors whose answer hides them.
func NewAnswerer(service string, logger *slog.Logger, reason func(err error) (Reason, string)) (*Answerer, error) {
	if service == "" || logger == nil || reason == nil {
		return nil, errors.New("new answerer: a service name, a logger and a reason function are required")
	}
	return &Answerer{service: service, logger: logger, reason: reason}, nil
}

// Answer returns New(service, reason, detail) for err, the error of the
// handler of method ("Book"), logging err once first when the caller will
// not see it: as a warning for Unavailable, as an error for Internal.
func (a *Answerer) Answer(ctx context.Context, method string, err error) error {
	reason, detail := a.reason(err)
	switch reason {
	case Unavailable:
		a.logger.WarnContext(ctx, "unavailable", "method", method, "error", err)
	case Internal:
		a.logger.ErrorContext(ctx, "internal error", "method", method, "error", err)
	}
	return New(a.service, reason, detail)
}
