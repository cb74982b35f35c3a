// Package fleet reads the fleet the vessel service seeds at start: a JSON
// file, or the built-in default fleet.
//
// The file holds a JSON array of vessels with the proto's snake_case field
// names:
//
//	[
//	  {"id": "vessel001", "name": "Boaty McBoatface", "capacity": 500,
//	   "max_weight": 200000, "available": true, "owner_id": "owner-1"}
//	]
//
// id, capacity and max_weight are required; name and owner_id may be
// omitted. A vessel without "available" is available: a fleet file lists
// the ships that sail, and one that does not is marked "available": false.
// Field names match exactly (case included); unknown fields, the
// service-set remaining_capacity and remaining_weight among them, are
// rejected, and so are duplicate ids. An empty array is a valid, empty fleet.
package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// MaxFileBytes bounds the size of a fleet file.
const MaxFileBytes = 1 << 20

// Default returns the fleet seeded when no fleet file is given: the
// tutorial's single large vessel.
func Default() []vessel.Vessel {
	return []vessel.Vessel{{
		ID:        "vessel001",
		Name:      "Boaty McBoatface",
		Capacity:  500,
		MaxWeight: 200000,
		Available: true,
	}}
}

// Load reads the fleet file at path. Its errors start with path.
func Load(path string) ([]vessel.Vessel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load fleet: %w", err)
	}
	defer f.Close()
	return Decode(path, f)
}

// Decode reads a fleet from r and checks it with vessel.ValidateFleet. name
// is the file's name, for errors: "fleet.json: [2].max_weight: must be
// positive, got 0". A rule broken by one vessel is reported as a
// *vessel.FieldError (so the error matches vessel.ErrInvalid) whose Field
// starts with the vessel's index; a file that is too large or not a JSON
// array is reported as such.
func Decode(name string, r io.Reader) ([]vessel.Vessel, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxFileBytes)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
		return nil, fmt.Errorf("%s: not a JSON array of vessels", name)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON%s: %w", name, where(data, err), err)
	}
	fleet := make([]vessel.Vessel, len(items))
	for i, item := range items {
		v, err := decodeVessel(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, atIndex(i, err))
		}
		fleet[i] = v
	}
	if err := vessel.ValidateFleet(fleet); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fleet, nil
}

// decodeVessel decodes one element of the fleet array. Its errors are
// *vessel.FieldError with the field named as in the file, or with no field
// when the element is not an object.
func decodeVessel(item json.RawMessage) (vessel.Vessel, error) {
	var values map[string]json.RawMessage
	if err := json.Unmarshal(item, &values); err != nil || values == nil {
		return vessel.Vessel{}, &vessel.FieldError{Reason: "must be a JSON object"}
	}
	const (
		notString = "must be a string"
		notInt32  = "must be a whole number that fits in 32 bits"
		notBool   = "must be true or false"
	)
	v := vessel.Vessel{Available: true} // kept when "available" is omitted or null
	fields := []struct {
		name   string
		ptr    any
		reason string
	}{
		{"id", &v.ID, notString},
		{"name", &v.Name, notString},
		{"capacity", &v.Capacity, notInt32},
		{"max_weight", &v.MaxWeight, notInt32},
		{"available", &v.Available, notBool},
		{"owner_id", &v.OwnerID, notString},
	}
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.name
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(known, name) {
			return vessel.Vessel{}, &vessel.FieldError{
				Field:  name,
				Reason: "unknown field (known: " + strings.Join(known, ", ") + ")",
			}
		}
	}
	for _, f := range fields {
		value, ok := values[f.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(value, f.ptr); err != nil {
			return vessel.Vessel{}, &vessel.FieldError{Field: f.name, Reason: f.reason}
		}
	}
	return v, nil
}

// atIndex prefixes the field of a *vessel.FieldError with the index of the
// vessel in the fleet: "[2].max_weight", or "[2]" for the whole vessel.
func atIndex(i int, err error) error {
	fe, ok := errors.AsType[*vessel.FieldError](err)
	if !ok {
		return fmt.Errorf("[%d]: %w", i, err)
	}
	field := fmt.Sprintf("[%d]", i)
	if fe.Field != "" {
		field += "." + fe.Field
	}
	return &vessel.FieldError{Field: field, Reason: fe.Reason}
}

// where locates a JSON syntax error: " at line 3, column 7", or "" when err
// has no offset.
func where(data []byte, err error) string {
	syntax, ok := errors.AsType[*json.SyntaxError](err)
	if !ok {
		return ""
	}
	// Offset counts the bytes read up to and including the bad one.
	before := data[:min(max(int(syntax.Offset)-1, 0), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	column := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(" at line %d, column %d", line, column)
}
