package wire_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/apipb"

	"github.com/shippy-suite/shippy/platform/internal/micro/wire"
)

// apiMD is the descriptor of the messages the tests encode, proto3: an Api
// has strings (name 1, version 4) and repeated messages (methods 2, each
// a Method with name 1).
var apiMD = (&apipb.Api{}).ProtoReflect().Descriptor()

// str appends string field num holding value, valid UTF-8 or not.
func str(b []byte, num protowire.Number, value string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, value)
}

// msg appends message field num holding the encoding inner.
func msg(b []byte, num protowire.Number, inner []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, inner)
}

func TestInvalidUTF8Field(t *testing.T) {
	t.Parallel()
	const bad = "x\xff"
	method := func(name string) []byte { return str(nil, 1, name) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, ""},
		{"valid", msg(str(nil, 1, "api"), 2, method("M")), ""},
		{"top-level string", str(str(nil, 1, "api"), 4, bad), "version"},
		{"string after a varint", str(protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.VarintType), 1), 1, bad), "name"},
		{"repeated message, second", msg(msg(nil, 2, method("A")), 2, method(bad)), "methods[1].name"},
		{"unknown field with bad bytes", str(nil, 99, bad), ""},
		{"truncated", []byte{0x0a, 0x05, 'a'}, ""},
		{"garbage", []byte{0xff, 0xff, 0xff, 0xff}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := wire.InvalidUTF8Field(tt.data, apiMD); got != tt.want {
				t.Errorf("InvalidUTF8Field = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInvalidUTF8FieldProto2 checks that a proto2 string, which may hold
// any bytes, is never named.
func TestInvalidUTF8FieldProto2(t *testing.T) {
	t.Parallel()
	md := (&descriptorpb.FileDescriptorProto{}).ProtoReflect().Descriptor()
	if got := wire.InvalidUTF8Field(str(nil, 1, "x\xff"), md); got != "" {
		t.Errorf("InvalidUTF8Field(proto2 name not UTF-8) = %q, want \"\"", got)
	}
}

// FuzzInvalidUTF8Field reads any bytes without panicking, and names a
// field only in a body protobuf refuses.
func FuzzInvalidUTF8Field(f *testing.F) {
	f.Add([]byte(nil))
	f.Add(msg(nil, 2, str(nil, 1, "x\xff")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := wire.InvalidUTF8Field(data, apiMD)
		if path == "" {
			return
		}
		if err := proto.Unmarshal(data, &apipb.Api{}); err == nil {
			t.Errorf("InvalidUTF8Field named %q in a body protobuf decodes", path)
		}
	})
}
