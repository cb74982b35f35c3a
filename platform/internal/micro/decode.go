// Works around go-micro v5.12.0 server/grpc/grpc.go (*grpcServer).processRequest: a body that does not decode fails as Internal, not as the caller's error.

package micro

import (
	"fmt"
	"strings"

	"go-micro.dev/v5/codec/bytes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/internal/micro/wire"
	"github.com/shippy-suite/shippy/platform/rpcerr"
)

// decodingStream is the server stream a go-micro handler receives its
// request from: it decodes the request itself, so that a body that is not
// a valid message (bad wire format, a string that is not UTF-8) is refused
// as the caller's error, a go-micro 400 (gRPC InvalidArgument) from the
// service, instead of the Internal error grpc-go answers with when its
// codec fails. See docs/go-micro-workarounds.md.
//
// It receives the body as raw bytes, a go-micro *bytes.Frame, which the
// codecs go-micro registers for every content subtype it serves copy
// as they are, and decodes them with that same codec.
type decodingStream struct {
	grpc.ServerStream
	service string // the go-micro name of the service, the id of its errors
	codec   encoding.Codec
}

// newDecodingStream returns ss with its RecvMsg decoding as
// decodingStream says, or ss itself when the call's content subtype is
// not one go-micro registers a codec for (its own codec then decodes, as
// before).
func newDecodingStream(ss grpc.ServerStream, service string) grpc.ServerStream {
	switch subtype := contentSubtype(ss); subtype {
	case "proto", "json":
		if codec := encoding.GetCodec(subtype); codec != nil {
			return &decodingStream{ServerStream: ss, service: service, codec: codec}
		}
	}
	return ss
}

// contentSubtype returns the call's content subtype ("proto" for
// "application/grpc" and "application/grpc+proto"), lower-case.
func contentSubtype(ss grpc.ServerStream) string {
	ct := ""
	// ValueFromIncomingContext reads one key; FromIncomingContext would
	// copy every header.
	if v := metadata.ValueFromIncomingContext(ss.Context(), "content-type"); len(v) > 0 {
		ct = strings.ToLower(v[0])
	}
	rest, ok := strings.CutPrefix(ct, "application/grpc")
	if !ok || rest == "" {
		return "proto"
	}
	if sub, ok := strings.CutPrefix(rest, "+"); ok {
		return sub
	}
	if strings.HasPrefix(rest, ";") {
		return "proto"
	}
	return ""
}

// RecvMsg receives the next message into m, and returns a go-micro 400
// when its body does not decode.
func (s *decodingStream) RecvMsg(m any) error {
	var frame bytes.Frame
	if err := s.ServerStream.RecvMsg(&frame); err != nil {
		return err
	}
	if err := s.codec.Unmarshal(frame.Data, m); err != nil {
		return badRequestStatus(s.service, fmt.Sprintf("request body is not a valid %s: %s", messageName(m), decodeProblem(frame.Data, m, err)))
	}
	return nil
}

// decodeProblem says what is wrong with data, which failed to decode as m
// with err. protobuf's error for a string that is not UTF-8 does not name
// the field, so decodeProblem looks for it, and names it as the services'
// validation errors do: "containers[2].origin: not valid UTF-8".
func decodeProblem(data []byte, m any, err error) string {
	if pm, ok := m.(proto.Message); ok {
		if path := wire.InvalidUTF8Field(data, pm.ProtoReflect().Descriptor()); path != "" {
			return path + ": not valid UTF-8"
		}
	}
	return err.Error()
}

// badRequestStatus is a go-micro 400 from service with the detail, as a
// gRPC status: InvalidArgument, with the go-micro error attached the way
// go-micro's server attaches its own, so that go-micro clients see the
// 400.
func badRequestStatus(service, detail string) error {
	merr := rpcerr.New(service, rpcerr.Invalid, detail)
	st, err := status.New(codes.InvalidArgument, merr.Error()).WithDetails(merr)
	if err != nil {
		return status.Error(codes.InvalidArgument, merr.Error())
	}
	return st.Err()
}

// messageName is the full protobuf name of m, or its Go type.
func messageName(m any) string {
	if pm, ok := m.(proto.Message); ok {
		return string(pm.ProtoReflect().Descriptor().FullName())
	}
	return fmt.Sprintf("%T", m)
}
