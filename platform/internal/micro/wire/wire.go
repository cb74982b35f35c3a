// Package wire reads protobuf's wire format where the protobuf runtime's
// errors say too little: it finds the field a decode failed on.
package wire

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// InvalidUTF8Field returns the path of the first string field of data, the
// wire encoding of a message of md, that must be valid UTF-8 (proto3) and
// is not, or "" when it
// finds none (or data is not well formed). Repeated fields are indexed in
// the order their elements come.
func InvalidUTF8Field(data []byte, md protoreflect.MessageDescriptor) string {
	seen := make(map[protowire.Number]int) // elements of each repeated field so far
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return ""
		}
		data = data[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, data); n < 0 {
				return ""
			}
			data = data[n:]
			continue
		}
		value, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return ""
		}
		data = data[n:]
		name := string(fd.Name())
		if fd.IsList() {
			name = fmt.Sprintf("%s[%d]", name, seen[num])
			seen[num]++
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			// proto2 strings may hold any bytes; proto3 ones must be UTF-8.
			if fd.ParentFile().Syntax() != protoreflect.Proto2 && !utf8.Valid(value) {
				return name
			}
		case protoreflect.MessageKind:
			if path := InvalidUTF8Field(value, fd.Message()); path != "" {
				return name + "." + path
			}
		}
	}
	return ""
}
