package platform

import (
	"context"
	"maps"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// stdServices serves standard gRPC services (health, reflection) on the
// go-micro gRPC server's port. That server hands every call to its own
// unknown-service handler and keeps its *grpc.Server to itself, but grpc-go
// runs the server's stream interceptor for those calls too: intercept serves
// the methods registered here and passes every other call on to go-micro.
//
// Services are registered the ordinary way, before the server starts
// (stdServices is a grpc.ServiceRegistrar). Streams it serves are not
// go-micro calls, so the drain does not wait for them; stop ends them.
type stdServices struct {
	service string               // the go-micro name of the service served
	methods map[string]stdMethod // by full method, "/grpc.health.v1.Health/Check"
	info    map[string]grpc.ServiceInfo

	stopped context.Context    // done once stop is called
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

var _ grpc.ServiceRegistrar = (*stdServices)(nil)

func newStdServices(service string) *stdServices {
	stopped, stop := context.WithCancel(context.Background())
	return &stdServices{
		service: service,
		methods: make(map[string]stdMethod),
		info:    make(map[string]grpc.ServiceInfo),
		stopped: stopped,
		stop:    stop,
	}
}

// RegisterService implements grpc.ServiceRegistrar. It must be called before
// the server starts: intercept reads the table without a lock.
func (t *stdServices) RegisterService(desc *grpc.ServiceDesc, impl any) {
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

// addMicroHandler records a go-micro handler so that reflection lists the
// service it serves. go-micro routes a gRPC path by its last two parts
// ("/consignment.ShippingService/X" reaches the handler ShippingService), so
// every protobuf service of that short name in protoregistry.GlobalFiles is
// served by it; reflection describes those from the same registry. Handlers
// without a protobuf service (hand-written ones) are not listed.
func (t *stdServices) addMicroHandler(name string) {
	var found []string
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		services := fd.Services()
		for i := range services.Len() {
			if sd := services.Get(i); string(sd.Name()) == name {
				found = append(found, string(sd.FullName()))
			}
		}
		return true
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	t.micro = append(t.micro, found...)
}

// GetServiceInfo lists the services on the port, standard and go-micro ones,
// for reflection (reflection.ServiceInfoProvider). Only the standard ones
// have method details.
func (t *stdServices) GetServiceInfo() map[string]grpc.ServiceInfo {
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

// serviceNames is GetServiceInfo's keys, sorted.
func (t *stdServices) serviceNames() []string {
	return slices.Sorted(maps.Keys(t.GetServiceInfo()))
}

// intercept is a grpc.StreamServerInterceptor for the go-micro gRPC server,
// which sees every call as a stream: it serves the methods in the table and
// hands the rest to next, go-micro's handler, with a stream that decodes
// their requests (see decodingStream).
func (t *stdServices) intercept(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
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

// serveStream runs a streaming method until it ends or stop is called,
// whichever comes first (health Watch streams only end when the client
// goes away).
func (t *stdServices) serveStream(m stdMethod, ss grpc.ServerStream) error {
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
