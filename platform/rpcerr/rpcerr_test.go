package rpcerr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	grpcclient "go-micro.dev/v5/client/grpc"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/shippy-suite/shippy/platform/rpcerr"
)

const service = "shippy.service.test"

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason rpcerr.Reason
		code   int32
	}{
		{rpcerr.Invalid, 400},
		{rpcerr.Unauthenticated, 401},
		{rpcerr.Forbidden, 403},
		{rpcerr.NotFound, 404},
		{rpcerr.Timeout, 408},
		{rpcerr.Conflict, 409},
		{rpcerr.NoRoom, 412},
		{rpcerr.Internal, 500},
		{rpcerr.Unavailable, 503},
		{rpcerr.Unreachable, 500}, // not sent: a server that sends it anyway answers 500
	}
	for _, tt := range tests {
		t.Run(string(tt.reason), func(t *testing.T) {
			t.Parallel()
			e := rpcerr.New(service, tt.reason, "the detail")
			got := [4]any{e.Id, e.Code, e.Detail, e.Status}
			want := [4]any{service, tt.code, "the detail", string(tt.reason)}
			if got != want {
				t.Errorf("New() = {Id, Code, Detail, Status} %v, want %v", got, want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	refusedDial := `connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.7:41234: connect: connection refused"`
	tests := []struct {
		name string
		err  error
		want rpcerr.Failure
	}{
		{"nil", nil, rpcerr.Failure{}},
		{"a reason sent", rpcerr.New(service, rpcerr.NoRoom, "no vessel has room"),
			rpcerr.Failure{Reason: rpcerr.NoRoom, Service: service, Code: 412, Detail: "no vessel has room", Cause: "no vessel has room"}},
		{"a reason sent, wrapped", fmt.Errorf("book: %w", rpcerr.New(service, rpcerr.Conflict, "taken")),
			rpcerr.Failure{Reason: rpcerr.Conflict, Service: service, Code: 409, Detail: "taken", Cause: "taken"}},
		{"a go-micro error as text", errors.New(rpcerr.New(service, rpcerr.Invalid, "weight: required").Error()),
			rpcerr.Failure{Reason: rpcerr.Invalid, Service: service, Code: 400, Detail: "weight: required", Cause: "weight: required"}},
		{"no reason: by code", microerrors.New(service, "no vessel has room", 412),
			rpcerr.Failure{Reason: rpcerr.NoRoom, Service: service, Code: 412, Detail: "no vessel has room", Cause: "no vessel has room"}},
		{"a reason of another code: by code", &microerrors.Error{Id: service, Code: 409, Detail: "x", Status: string(rpcerr.NoRoom)},
			rpcerr.Failure{Reason: rpcerr.Conflict, Service: service, Code: 409, Detail: "x", Cause: "x"}},
		{"a reason never sent: by code", &microerrors.Error{Id: service, Code: 500, Detail: "x", Status: string(rpcerr.NotRegistered)},
			rpcerr.Failure{Reason: rpcerr.Internal, Service: service, Code: 500, Detail: "x", Cause: "x"}},
		{"unknown code", microerrors.New(service, "not implemented", 501),
			rpcerr.Failure{Reason: rpcerr.Internal, Service: service, Code: 501, Detail: "not implemented", Cause: "not implemented"}},
		{"unauthenticated", rpcerr.New(service, rpcerr.Unauthenticated, "token expired"),
			rpcerr.Failure{Reason: rpcerr.Unauthenticated, Service: service, Code: 401, Detail: "token expired", Cause: "token expired"}},
		{"no reason: 403 by code", microerrors.Forbidden(service, "operators only"),
			rpcerr.Failure{Reason: rpcerr.Forbidden, Service: service, Code: 403, Detail: "operators only", Cause: "operators only"}},
		{"draining (no reason)", microerrors.New(service, "shutting down", 503),
			rpcerr.Failure{Reason: rpcerr.Unavailable, Service: service, Code: 503, Detail: "shutting down", Cause: "shutting down"}},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded),
			rpcerr.Failure{Reason: rpcerr.Timeout, Detail: "call: context deadline exceeded", Cause: "call: context deadline exceeded"}},
		{"not a go-micro error", errors.New("connection reset by peer"),
			rpcerr.Failure{Reason: rpcerr.Unknown, Detail: "connection reset by peer", Cause: "connection reset by peer"}},
		{"go-micro error without a code", &microerrors.Error{Id: service, Detail: "odd"},
			rpcerr.Failure{Reason: rpcerr.Unknown, Detail: (&microerrors.Error{Id: service, Detail: "odd"}).Error(), Cause: (&microerrors.Error{Id: service, Detail: "odd"}).Error()}},

		// go-micro's client's own errors, worded as v5.12.0 words them.
		{"client: not registered", microerrors.InternalServerError("go.micro.client", "service %s: %s", service, selector.ErrNotFound),
			byClient(rpcerr.NotRegistered, 500, "service "+service+": not found", "service "+service+": not found")},
		{"client: lookup failed", microerrors.InternalServerError("go.micro.client", `error selecting %s node: Get "http://127.0.0.1:8500/v1/health/service/x": connection refused`, service),
			byClient(rpcerr.LookupFailed, 500, `error selecting `+service+` node: Get "http://127.0.0.1:8500/v1/health/service/x": connection refused`,
				`Get "http://127.0.0.1:8500/v1/health/service/x": connection refused`)},
		{"client: connection refused", microerrors.New("go.micro.client", refusedDial, 503),
			byClient(rpcerr.Unreachable, 503, refusedDial, "connection refused")},
		{"client: transport closing", microerrors.New("go.micro.client", "error reading from server: EOF", 503),
			byClient(rpcerr.Unreachable, 503, "error reading from server: EOF", "error reading from server: EOF")},
		{"client: dial failed", microerrors.InternalServerError("go.micro.client", "Error sending request: dial tcp 10.0.0.7:41234: connect: connection refused"),
			byClient(rpcerr.Unreachable, 500, "Error sending request: dial tcp 10.0.0.7:41234: connect: connection refused", "connection refused")},
		{"client: timeout", microerrors.Timeout("go.micro.client", "context deadline exceeded"),
			byClient(rpcerr.Timeout, 408, "context deadline exceeded", "context deadline exceeded")},
		{"client: other 500", microerrors.InternalServerError("go.micro.client", "rsp is nil"),
			byClient(rpcerr.Internal, 500, "rsp is nil", "rsp is nil")},
		{"client: a gRPC status of another code", microerrors.New("go.micro.client", "unknown service x", 501),
			byClient(rpcerr.Internal, 501, "unknown service x", "unknown service x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rpcerr.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v)\n got %+v\nwant %+v", tt.err, got, tt.want)
			}
		})
	}
}

// byClient is the Failure of an error of go-micro's client.
func byClient(reason rpcerr.Reason, code int32, detail, cause string) rpcerr.Failure {
	return rpcerr.Failure{Reason: reason, Service: "go.micro.client", Code: code, Detail: detail, Cause: cause}
}

// TestClassifyRealClient checks Classify against the errors go-micro's real
// gRPC client gives when no instance can be reached, so that a change of
// go-micro's wording fails here. The registry is in memory: no mDNS, no
// network beyond loopback.
func TestClassifyRealClient(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // nothing listens on its address now
	tests := []struct {
		name      string
		nodes     []*registry.Node
		want      rpcerr.Reason
		wantCause string
	}{
		{name: "no instance registered", want: rpcerr.NotRegistered, wantCause: "service " + service + ": not found"},
		{name: "instance not listening", nodes: []*registry.Node{{Id: "gone", Address: l.Addr().String()}},
			want: rpcerr.Unreachable, wantCause: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registry.NewMemoryRegistry()
			if tt.nodes != nil {
				if err := reg.Register(&registry.Service{Name: service, Version: "latest", Nodes: tt.nodes}); err != nil {
					t.Fatal(err)
				}
			}
			c := grpcclient.NewClient(client.Selector(selector.NewSelector(selector.Registry(reg))), client.Retries(0))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := c.Call(ctx, c.NewRequest(service, "Test.Call", &emptypb.Empty{}), &emptypb.Empty{})
			got := rpcerr.Classify(err)
			if got.Reason != tt.want || got.Cause != tt.wantCause {
				t.Errorf("Classify(%v) = %+v, want reason %s, cause %q", err, got, tt.want, tt.wantCause)
			}
		})
	}
}

func TestAnswerer(t *testing.T) {
	t.Parallel()
	errNoRoom := errors.New("no room")
	reason := func(err error) (rpcerr.Reason, string) {
		switch {
		case errors.Is(err, errNoRoom):
			return rpcerr.NoRoom, err.Error()
		case errors.Is(err, context.Canceled):
			return rpcerr.Unavailable, "store unavailable"
		}
		return rpcerr.Internal, "internal error"
	}
	tests := []struct {
		name       string
		err        error
		want       rpcerr.Reason
		wantDetail string
		wantLog    string // the level of the line that logs err; "" for none
	}{
		{"domain answer", fmt.Errorf("book: %w", errNoRoom), rpcerr.NoRoom, "book: no room", ""},
		{"unavailable", fmt.Errorf("disk asleep: %w", context.Canceled), rpcerr.Unavailable, "store unavailable", "WARN"},
		{"internal", errors.New("disk on fire"), rpcerr.Internal, "internal error", "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			a, err := rpcerr.NewAnswerer(service, slog.New(slog.NewTextHandler(&logs, nil)), reason)
			if err != nil {
				t.Fatal(err)
			}
			got := rpcerr.Classify(a.Answer(context.Background(), "Test.Call", tt.err))
			if got.Reason != tt.want || got.Detail != tt.wantDetail || got.Service != service {
				t.Errorf("Answer() = %+v, want reason %s, detail %q from %s", got, tt.want, tt.wantDetail, service)
			}
			lines := strings.Count(logs.String(), tt.err.Error())
			switch {
			case tt.wantLog == "" && logs.Len() > 0:
				t.Errorf("logged %q, want nothing", logs.String())
			case tt.wantLog != "" && (lines != 1 || !strings.Contains(logs.String(), "level="+tt.wantLog) || !strings.Contains(logs.String(), "method=Test.Call")):
				t.Errorf("log = %q, want one %s line with the error and the method", logs.String(), tt.wantLog)
			}
		})
	}
}

func TestNewAnswererRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	reason := func(error) (rpcerr.Reason, string) { return rpcerr.Internal, "internal error" }
	logger := slog.New(slog.DiscardHandler)
	for name, newAnswerer := range map[string]func() (*rpcerr.Answerer, error){
		"no service name": func() (*rpcerr.Answerer, error) { return rpcerr.NewAnswerer("", logger, reason) },
		"nil logger":      func() (*rpcerr.Answerer, error) { return rpcerr.NewAnswerer(service, nil, reason) },
		"nil reason":      func() (*rpcerr.Answerer, error) { return rpcerr.NewAnswerer(service, logger, nil) },
	} {
		if _, err := newAnswerer(); err == nil {
			t.Errorf("%s: NewAnswerer() = nil error, want an error", name)
		}
	}
}
