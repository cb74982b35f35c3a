// Works around go-micro v5.12.0 server/grpc/grpc.go (*grpcServer).configure: the *grpc.Server it builds is private, so no standard gRPC service can be added.

package micro

import (
	"context"
	"maps"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// StdServices serves standard gRPC services (health, reflection) on the
// go-micro gRPC server's port, through Intercept: register them on it the
// ordinary way (it is a grpc.ServiceRegistrar) before the server starts,
// and give Intercept to the server as its stream interceptor. Streams it
// serves are not go-micro calls, so a drain does not wait for them; Stop
// ends them. See docs/go-micro-workarounds.md.
type StdServices struct {
	service string               // the go-micro name of the service served
	methods map[string]stdMethod // by full method, "/grpc.health.v1.Health/Check"
	info    map[string]grpc.ServiceInfo

	stopped context.Context    // done once Stop is called
	stop    context.CancelFunc // ends the streams served, and any started after

	mu    sync.Mutex
	micro []string // full names of the go-micro services, for reflection
}

// stdMethod is one method of a registered service: exactly one of unary and
// stream is set.
type stdMethod struct {
	impl   any
	unary  *grpc.MethodDesc
	stream *grpc.StreamDesc
}

var _ grpc.ServiceRegistrar = (*StdServices)(nil)

// NewStdServices returns an empty table for the go-micro service named
// service (the id of the errors it answers with).
func NewStdServices(service string) *StdServices {
	stopped, stop := context.WithCancel(context.Background())
	return &StdServices{
		service: service,
		methods: make(map[string]stdMethod),
		info:    make(map[string]grpc.ServiceInfo),
		stopped: stopped,
		stop:    stop,
	}
}

// RegisterService implements grpc.ServiceRegistrar. It must be called before
// the server starts: Intercept reads the table without a lock.
func (t *StdServices) RegisterService(desc *grpc.ServiceDesc, impl any) {
	info := grpc.ServiceInfo{Metadata: desc.Metadata}
	for i := range desc.Methods {
		m := &desc.Methods[i]
		t.methods["/"+desc.ServiceName+"/"+m.MethodName] = stdMethod{impl: impl, unary: m}
		info.Methods = append(info.Methods, grpc.MethodInfo{Name: m.MethodName})
	}
	for i := range desc.Streams {
		s := &desc.Streams[i]
		t.methods["/"+desc.ServiceName+"/"+s.StreamName] = stdMethod{impl: impl, stream: s}
		info.Methods = append(info.Methods, grpc.MethodInfo{
			Name: s.StreamName, IsClientStream: s.ClientStreams, IsServerStream: s.ServerStreams,
		})
	}
	t.info[desc.ServiceName] = info
}

// GetServiceInfo lists the services on the port, standard and go-micro ones,
// for reflection (reflection.ServiceInfoProvider). Only the standard ones
// have method details.
func (t *StdServices) GetServiceInfo() map[string]grpc.ServiceInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]grpc.ServiceInfo, len(t.info)+len(t.micro))
	for _, name := range t.micro {
		out[name] = grpc.ServiceInfo{}
	}
	for name, info := range t.info {
		out[name] = info
	}
	return out
}

// ServiceNames is GetServiceInfo's keys, sorted.
func (t *StdServices) ServiceNames() []string {
	return slices.Sorted(maps.Keys(t.GetServiceInfo()))
}

// Intercept is a grpc.StreamServerInterceptor for the go-micro gRPC server,
// which sees every call as a stream: it serves the methods in the table and
// hands the rest to next, go-micro's handler, with a stream that decodes
// their requests (see decodingStream).
func (t *StdServices) Intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	m, ok := t.methods[info.FullMethod]
	switch {
	case !ok:
		return next(srv, newDecodingStream(ss, t.service))
	case m.unary != nil:
		resp, err := m.unary.Handler(m.impl, ss.Context(), ss.RecvMsg, nil)
		if err != nil {
			return err
		}
		return ss.SendMsg(resp)
	default:
		return t.serveStream(m, ss)
	}
}

// Stop ends the streams served, and refuses those that start after, with
// Unavailable. It is safe to call more than once.
func (t *StdServices) Stop() { t.stop() }

// serveStream runs a streaming method until it ends or Stop is called,
// whichever comes first (health Watch streams only end when the client
// goes away).
func (t *StdServices) serveStream(m stdMethod, ss grpc.ServerStream) error {
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	unwatch := context.AfterFunc(t.stopped, cancel)
	defer unwatch()
	err := m.stream.Handler(m.impl, &stoppableStream{ServerStream: ss, ctx: ctx})
	if t.stopped.Err() != nil && ss.Context().Err() == nil {
		return status.Error(codes.Unavailable, "the server is shutting down")
	}
	return err
}

// stoppableStream is a server stream with its own context.
type stoppableStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stoppableStream) Context() context.Context { return s.ctx }
