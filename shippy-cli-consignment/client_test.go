package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"go-micro.dev/v5/broker"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"

	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

// These tests put the real go-micro client (platform.NewClient) between the
// commands and a go-micro gRPC server on loopback, both on an in-memory
// registry, so that they check what the client really reports for each
// failure, without mDNS.

// scriptedHandler is a consignment service that books every consignment on
// vessel001, or fails with err; with hold set, it answers only once hold is
// closed.
type scriptedHandler struct {
	err  error
	hold chan struct{}
}

func (h *scriptedHandler) CreateConsignment(_ context.Context, in *consignmentpb.Consignment, rsp *consignmentpb.Response) error {
	if h.hold != nil {
		<-h.hold
	}
	if h.err != nil {
		return h.err
	}
	rsp.Created = true
	rsp.Consignment = in
	rsp.Consignment.VesselId = "vessel001"
	return nil
}

func (h *scriptedHandler) GetConsignments(_ context.Context, _ *consignmentpb.GetRequest, _ *consignmentpb.Response) error {
	if h.hold != nil {
		<-h.hold
	}
	return h.err
}

func (h *scriptedHandler) CancelConsignment(_ context.Context, _ *consignmentpb.CancelRequest, _ *consignmentpb.CancelResponse) error {
	return h.err
}

// quietLogger keeps go-micro's log lines out of the test output.
func quietLogger() logger.Logger { return logger.NewLogger(logger.WithOutput(io.Discard)) }

// startService serves h on loopback and registers it in a new memory
// registry, which it returns.
func startService(t *testing.T, h consignmentpb.ShippingServiceHandler) registry.Registry {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	srv := grpcserver.NewServer(
		server.Name(consignmentpb.ServiceName),
		server.Address("127.0.0.1:0"),
		server.Registry(reg),
		server.Broker(broker.NewMemoryBroker()), // not go-micro's global one
		server.WithLogger(quietLogger()),
	)
	if err := consignmentpb.RegisterShippingServiceHandler(srv, h); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	return reg
}

// realCommands returns commands that call the service through reg with the
// platform's client.
func realCommands(reg registry.Registry, timeout time.Duration) (*commands, *bytes.Buffer) {
	var out bytes.Buffer
	svc := consignmentpb.NewShippingService(consignmentpb.ServiceName, platform.NewClient(reg))
	return &commands{svc: svc, out: &out, timeout: timeout, registry: "MICRO_REGISTRY=memory"}, &out
}

func TestRealClientCreate(t *testing.T) {
	t.Parallel()
	reg := startService(t, &scriptedHandler{})
	cmd, out := realCommands(reg, 5*time.Second)
	in := tutorialConsignment()
	in.ID = "c-1"
	if err := cmd.create(t.Context(), "f.json", in); err != nil {
		t.Fatalf("create: %v", err)
	}
	if got, want := out.String(), "Created consignment c-1: 3 containers, 55000 kg, booked on vessel vessel001\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestRealClientErrors(t *testing.T) {
	t.Parallel()
	const name = consignmentpb.ServiceName
	tests := []struct {
		name     string
		handler  *scriptedHandler
		wantCode int
		want     string
	}{
		{"bad request", &scriptedHandler{err: microerrors.BadRequest(name, "containers[0].origin: required")},
			exitBadInput, "f.json: rejected by " + name + ": containers[0].origin: required"},
		{"no room", &scriptedHandler{err: microerrors.New(name, "no vessel has room", http.StatusPreconditionFailed)},
			exitNoRoom, "no vessel has room for 3 containers weighing 55000 kg"},
		{"conflict", &scriptedHandler{err: microerrors.Conflict(name, "consignment id already used")},
			exitBadInput, `f.json: id "c-1" is already used by a different consignment`},
		{"unavailable", &scriptedHandler{err: microerrors.New(name, "vessel service unavailable", http.StatusServiceUnavailable)},
			exitUnreachable, name + " is unavailable: vessel service unavailable"},
		{"internal", &scriptedHandler{err: microerrors.InternalServerError(name, "internal error")},
			exitFailure, name + " failed: internal error (500 Internal Server Error)"},
		{"timeout", &scriptedHandler{hold: make(chan struct{})}, exitTimeout, name + " did not answer within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Long enough for the client's retries of a 503, short enough
			// for the slow handler.
			timeout := 5 * time.Second
			if tt.handler.hold != nil {
				timeout = 200 * time.Millisecond
			}
			reg := startService(t, tt.handler)
			if tt.handler.hold != nil {
				t.Cleanup(func() { close(tt.handler.hold) }) // before the server stops
			}
			cmd, out := realCommands(reg, timeout)
			in := tutorialConsignment()
			in.ID = "c-1"
			checkError(t, cmd.create(t.Context(), "f.json", in), tt.wantCode, tt.want)
			if out.Len() > 0 {
				t.Errorf("printed %q on failure", out)
			}
		})
	}
}

func TestRealClientUnreachable(t *testing.T) {
	t.Parallel()
	const name = consignmentpb.ServiceName

	t.Run("not registered", func(t *testing.T) {
		t.Parallel()
		cmd, _ := realCommands(registry.NewMemoryRegistry(), time.Second)
		checkError(t, cmd.list(t.Context()), exitUnreachable,
			name+" is unreachable via MICRO_REGISTRY=memory: no instance is registered; is it running?")
	})

	t.Run("registered, not listening", func(t *testing.T) {
		t.Parallel()
		reg := registry.NewMemoryRegistry()
		err := reg.Register(&registry.Service{
			Name:    name,
			Version: "latest",
			Nodes:   []*registry.Node{{Id: name + "-gone", Address: closedAddr(t)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		cmd, _ := realCommands(reg, time.Second)
		checkError(t, cmd.list(t.Context()), exitUnreachable,
			name+" is unreachable via MICRO_REGISTRY=memory: connection refused; is it running?")
	})
}
