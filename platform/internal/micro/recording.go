// Works around go-micro v5.12.0 server/grpc/grpc.go (*grpcServer).Handle: handlers go to a private router that reflection cannot list.

package micro

import (
	"go-micro.dev/v5/server"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// RecordingServer is a go-micro server that tells Std about each handler
// registered, so that reflection lists the services served.
type RecordingServer struct {
	server.Server
	Std *StdServices
}

// Handle registers h on the server, then records it.
func (r *RecordingServer) Handle(h server.Handler) error {
	if err := r.Server.Handle(h); err != nil {
		return err
	}
	r.Std.addMicroHandler(h.Name())
	return nil
}

// addMicroHandler records a go-micro handler so that reflection lists the
// service it serves. go-micro routes a gRPC path by its last two parts
// ("/consignment.ShippingService/X" reaches the handler ShippingService), so
// every protobuf service of that short name in protoregistry.GlobalFiles is
// served by it; reflection describes those from the same registry. Handlers
// without a protobuf service (hand-written ones) are not listed.
func (t *StdServices) addMicroHandler(name string) {
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
