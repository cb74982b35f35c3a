// Package baseline provides the reference points a benchmark compares the
// services with: gRPC servers that answer the vessel service's
// FindAvailable with a fixed response and do no other work.
//
// Both serve the same method path, /vessel.VesselService/FindAvailable,
// with the same message types as the real vessel service, so one client
// call can be pointed at a baseline or at the real service and the bytes on
// the wire are the same; what differs is only what runs around them.
//
//   - GRPCServer is plain google.golang.org/grpc: the cost of one hop, the
//     physical limit of a design that makes gRPC calls.
//   - MicroServer is the go-micro gRPC server (registered in a registry):
//     the same hop through the framework, with no handler work.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// FindAvailableMethod is the full gRPC method name of the vessel service's
// FindAvailable, as plain gRPC clients call it.
const FindAvailableMethod = "/vessel.VesselService/FindAvailable"

// ListenAddress is where the baselines listen: any free port on loopback.
const ListenAddress = "127.0.0.1:0"

// GRPCServer is a plain grpc-go server whose FindAvailable returns a fixed
// response. Its other vessel methods are unimplemented.
type GRPCServer struct {
	srv  *grpc.Server
	lis  net.Listener
	done chan error
}

// StartGRPC starts a GRPCServer on ListenAddress answering every
// FindAvailable with a Response holding v, which must not change
// afterwards.
func StartGRPC(v *vesselpb.Vessel) (*GRPCServer, error) {
	if v == nil {
		return nil, errors.New("start grpc baseline: nil vessel")
	}
	lis, err := net.Listen("tcp", ListenAddress)
	if err != nil {
		return nil, fmt.Errorf("start grpc baseline: %w", err)
	}
	s := &GRPCServer{srv: grpc.NewServer(), lis: lis, done: make(chan error, 1)}
	s.srv.RegisterService(&findAvailableDesc, fixedAnswer{&vesselpb.Response{Vessel: v}})
	go func() { s.done <- s.srv.Serve(lis) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *GRPCServer) Addr() string { return s.lis.Addr().String() }

// Stop stops the server at once, ending calls in flight.
func (s *GRPCServer) Stop() error {
	s.srv.Stop()
	if err := <-s.done; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("grpc baseline: %w", err)
	}
	return nil
}

// fixedAnswer is the plain gRPC service implementation.
type fixedAnswer struct{ rsp *vesselpb.Response }

// findAvailableDesc describes a vessel.VesselService with FindAvailable only,
// written by hand as protoc-gen-go-grpc would generate it.
var findAvailableDesc = grpc.ServiceDesc{
	ServiceName: "vessel.VesselService",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "FindAvailable",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var spec vesselpb.Specification
			if err := dec(&spec); err != nil {
				return nil, err
			}
			return srv.(fixedAnswer).rsp, nil
		},
	}},
	Metadata: "vessel/vessel.proto",
}

// Dial returns a plain grpc-go client connection to addr, without TLS. Its
// calls share one HTTP/2 connection, as grpc-go's do by default.
func Dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return conn, nil
}

// FindAvailable calls FindAvailableMethod on conn with plain grpc-go.
func FindAvailable(ctx context.Context, conn *grpc.ClientConn, spec *vesselpb.Specification) (*vesselpb.Response, error) {
	rsp := new(vesselpb.Response)
	if err := conn.Invoke(ctx, FindAvailableMethod, spec, rsp); err != nil {
		return nil, err
	}
	return rsp, nil
}

// MicroServer is a go-micro gRPC server that registers as a vessel service
// under its own name and answers FindAvailable with a fixed response.
type MicroServer struct {
	srv server.Server
}

// StartMicro starts a MicroServer on ListenAddress that registers in reg as
// name and answers every FindAvailable with a Response holding v, which
// must not change afterwards. go-micro's log lines go to logs.
func StartMicro(name string, reg registry.Registry, v *vesselpb.Vessel, logs io.Writer) (*MicroServer, error) {
	switch {
	case name == "":
		return nil, errors.New("start go-micro baseline: empty name")
	case reg == nil:
		return nil, errors.New("start go-micro baseline: nil registry")
	case v == nil:
		return nil, errors.New("start go-micro baseline: nil vessel")
	}
	srv := grpcserver.NewServer(
		server.Name(name),
		server.Address(ListenAddress),
		server.Registry(reg),
		server.WithLogger(logger.NewLogger(logger.WithOutput(logs), logger.WithLevel(logger.WarnLevel))),
	)
	if err := vesselpb.RegisterVesselServiceHandler(srv, &microHandler{name: name, vessel: v}); err != nil {
		return nil, fmt.Errorf("start go-micro baseline: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start go-micro baseline: %w", err)
	}
	return &MicroServer{srv: srv}, nil
}

// Addr is the address the server listens on.
func (s *MicroServer) Addr() string { return s.srv.Options().Address }

// Stop deregisters the server and stops it.
func (s *MicroServer) Stop() error {
	if err := s.srv.Stop(); err != nil {
		return fmt.Errorf("go-micro baseline: %w", err)
	}
	return nil
}

// microHandler is the go-micro vessel handler of a MicroServer.
type microHandler struct {
	name   string
	vessel *vesselpb.Vessel
}

var _ vesselpb.VesselServiceHandler = (*microHandler)(nil)

func (h *microHandler) FindAvailable(_ context.Context, _ *vesselpb.Specification, out *vesselpb.Response) error {
	out.Vessel = h.vessel
	return nil
}

func (h *microHandler) Create(context.Context, *vesselpb.Vessel, *vesselpb.Response) error {
	return h.unimplemented()
}

func (h *microHandler) Book(context.Context, *vesselpb.BookRequest, *vesselpb.BookResponse) error {
	return h.unimplemented()
}

func (h *microHandler) Release(context.Context, *vesselpb.ReleaseRequest, *vesselpb.ReleaseResponse) error {
	return h.unimplemented()
}

func (h *microHandler) ListVessels(context.Context, *vesselpb.ListVesselsRequest, *vesselpb.ListVesselsResponse) error {
	return h.unimplemented()
}

func (h *microHandler) BookBatch(context.Context, *vesselpb.BookBatchRequest, *vesselpb.BookBatchResponse) error {
	return h.unimplemented()
}

func (h *microHandler) ConfirmBookings(context.Context, *vesselpb.ConfirmBookingsRequest, *vesselpb.ConfirmBookingsResponse) error {
	return h.unimplemented()
}

func (h *microHandler) ListExpiredHolds(context.Context, *vesselpb.ListExpiredHoldsRequest, *vesselpb.ListExpiredHoldsResponse) error {
	return h.unimplemented()
}

func (h *microHandler) ReleaseExpiredHold(context.Context, *vesselpb.ReleaseRequest, *vesselpb.ReleaseResponse) error {
	return h.unimplemented()
}

func (h *microHandler) unimplemented() error {
	return microerrors.New(h.name, "not implemented by the baseline", 501)
}
