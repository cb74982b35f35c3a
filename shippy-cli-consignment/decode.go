package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shippy-suite/shippy/domain/consignment"
)

// maxFileBytes is the largest consignment file the CLI reads.
const maxFileBytes = 1 << 20

// inputConsignment is a consignment as the input file holds it: the proto's
// snake_case field names. Containers are decoded one by one, so that an
// error can name the container's index.
type inputConsignment struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Weight      int32             `json:"weight"`
	Containers  []json.RawMessage `json:"containers"`
	// VesselID and OwnerID are accepted, so that the output of a create
	// can be sent again, and ignored: the service books the vessel, and
	// the consignment is the caller's.
	VesselID string `json:"vessel_id"`
	OwnerID  string `json:"owner_id"`
}

// decodeFile reads the consignment in the file at path and checks it with
// the rules the service applies (the shared domain module's). Every error
// has exit code exitBadInput and is one line that starts with path, then
// names the field at fault, if any, and says what is wrong. It reads at most maxFileBytes+1 bytes.
func decodeFile(path string) (consignment.Consignment, error) {
	f, err := os.Open(path)
	if err != nil {
		return consignment.Consignment{}, badInput(path, pathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return consignment.Consignment{}, badInput(path, pathError(err))
	}
	if len(data) > maxFileBytes {
		return consignment.Consignment{}, badInput(path, errors.New("larger than 1 MiB"))
	}
	return decode(path, data)
}

// decode is decodeFile for data, the contents of the file name.
func decode(name string, data []byte) (consignment.Consignment, error) {
	c, err := parse(data)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return consignment.Consignment{}, badInput(name, err)
	}
	return c, nil
}

// badInput is the error for the bad file name.
func badInput(name string, err error) error {
	return withCode(exitBadInput, fmt.Errorf("%s: %w", name, err))
}

// pathError drops the operation and path from an *fs.PathError, which the
// caller names in its own way.
func pathError(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// parse decodes one JSON consignment object, and nothing else, from data.
// A value of the wrong type or an unknown or repeated member is a
// *consignment.FieldError; data that is not JSON is an error that gives the
// line and column.
func parse(data []byte) (consignment.Consignment, error) {
	raw, err := singleValue(data)
	if err != nil {
		return consignment.Consignment{}, err
	}
	if kind := jsonKind(raw); kind != "object" {
		return consignment.Consignment{}, fmt.Errorf("want a JSON object, got %s", kind)
	}

	var in inputConsignment
	if err := decodeObject("", raw, &in); err != nil {
		return consignment.Consignment{}, err
	}
	c := consignment.Consignment{
		ID:          in.ID,
		Description: in.Description,
		Weight:      in.Weight,
	}
	for i, raw := range in.Containers {
		var ct jsonContainer
		if err := decodeObject(fmt.Sprintf("containers[%d]", i), raw, &ct); err != nil {
			return consignment.Consignment{}, err
		}
		c.Containers = append(c.Containers, consignment.Container{
			ID:         ct.ID,
			CustomerID: ct.CustomerID,
			Origin:     ct.Origin,
			UserID:     ct.UserID,
		})
	}
	return c, nil
}

// singleValue returns the one JSON value in data, which may be surrounded by
// white space only.
func singleValue(data []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	switch {
	case errors.Is(err, io.EOF):
		return nil, errors.New("empty, want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("invalid JSON at %s: unexpected end of file", position(data, len(data)))
	case err != nil:
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			// Offset counts the bytes read, the offending one included.
			return nil, fmt.Errorf("invalid JSON at %s: %v", position(data, int(se.Offset)-1), se)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	rest := data[dec.InputOffset():]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
		return nil, fmt.Errorf("unexpected data after the JSON object at %s", position(data, len(data)-len(trimmed)))
	}
	return raw, nil
}

// position describes the byte offset off of data as "line L, column C",
// both counted from 1, columns in characters.
func position(data []byte, off int) string {
	off = max(0, min(off, len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// decodeObject decodes the JSON object raw into dst, a pointer to a struct
// whose json tags name the members the object may have. Errors are
// *consignment.FieldError with field names below path: a member dst has no
// field for (names match exactly, not case-insensitively as encoding/json
// does), a member given twice, or a value of the wrong type.
func decodeObject(path string, raw json.RawMessage, dst any) error {
	if kind := jsonKind(raw); kind != "object" {
		return &consignment.FieldError{Field: path, Reason: "want an object, got " + kind}
	}
	names, err := memberNames(raw)
	if err != nil {
		return err
	}
	known := jsonNames(reflect.TypeOf(dst).Elem())
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		switch {
		case !slices.Contains(known, name):
			return &consignment.FieldError{Field: fieldPath(path, name), Reason: "unknown field"}
		case seen[name]:
			return &consignment.FieldError{Field: fieldPath(path, name), Reason: "given more than once"}
		}
		seen[name] = true
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return typeError(path, te)
		}
		return err
	}
	return nil
}

// jsonNames returns the names the json tags of struct type t give its fields.
func jsonNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// memberNames returns the member names of the JSON object raw in order.
func memberNames(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, err
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // a member name is always a string
		names = append(names, name)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// jsonKind names the kind of the valid JSON value raw as encoding/json's
// errors do: object, array, string, number, bool or null.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// fieldPath names member name of the object at path, the way FieldError
// does: "containers[0].origin". A name that is not a plain identifier is
// quoted and, if long, shortened, so that the path stays one short line.
func fieldPath(path, name string) string {
	if !isPlainName(name) {
		const maxName = 40
		if len(name) > maxName {
			name = strings.ToValidUTF8(name[:maxName], "") + "..."
		}
		name = strconv.Quote(name)
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// isPlainName reports whether name is a non-empty run of ASCII letters,
// digits and underscores, which needs no quoting in a field path.
func isPlainName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// typeError turns encoding/json's report of a value of the wrong type in the
// object at path into a FieldError: "weight: want a whole number, got
// string".
func typeError(path string, e *json.UnmarshalTypeError) error {
	field := path
	// e.Field is the dotted path of struct fields within the decoded value,
	// which for the flat structs decoded here is a single name.
	for name := range strings.SplitSeq(e.Field, ".") {
		if name != "" {
			field = fieldPath(field, name)
		}
	}
	want, got := describeType(e.Type), e.Value
	if number, ok := strings.CutPrefix(e.Value, "number "); ok {
		got = number
		if isSignedInt(e.Type) && !strings.ContainsAny(number, ".eE") {
			// A whole number, so out of range.
			bits := e.Type.Bits()
			want = fmt.Sprintf("a whole number from %d to %d", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
		}
	}
	return &consignment.FieldError{Field: field, Reason: fmt.Sprintf("want %s, got %s", want, got)}
}

func isSignedInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// describeType names the JSON values a Go type accepts.
func describeType(t reflect.Type) string {
	switch {
	case isSignedInt(t):
		return "a whole number"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	}
	return t.String()
}
