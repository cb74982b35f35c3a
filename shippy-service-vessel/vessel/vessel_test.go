package vessel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

func TestVesselValidate(t *testing.T) {
	t.Parallel()
	valid := vessel.Vessel{ID: "v1", Name: "Boaty McBoatface", OwnerID: "o1", Capacity: 500, MaxWeight: 200000}
	long := strings.Repeat("x", vessel.MaxIDBytes+1)
	tests := []struct {
		name      string
		change    func(*vessel.Vessel)
		wantField string // "" when valid
	}{
		{"valid", func(*vessel.Vessel) {}, ""},
		{"empty id is assigned later", func(v *vessel.Vessel) { v.ID = "" }, ""},
		{"unavailable", func(v *vessel.Vessel) { v.Available = false }, ""},
		{"id of max length", func(v *vessel.Vessel) { v.ID = long[1:] }, ""},
		{"id too long", func(v *vessel.Vessel) { v.ID = long }, "id"},
		{"id not UTF-8", func(v *vessel.Vessel) { v.ID = "\xff" }, "id"},
		{"name too long", func(v *vessel.Vessel) { v.Name = long }, "name"},
		{"owner_id not UTF-8", func(v *vessel.Vessel) { v.OwnerID = "a\xc3" }, "owner_id"},
		{"zero capacity", func(v *vessel.Vessel) { v.Capacity = 0 }, "capacity"},
		{"negative capacity", func(v *vessel.Vessel) { v.Capacity = -1 }, "capacity"},
		{"zero max_weight", func(v *vessel.Vessel) { v.MaxWeight = 0 }, "max_weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := valid
			tt.change(&v)
			assertFieldError(t, v.Validate(), tt.wantField)
		})
	}
}

func TestSpecificationValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec      vessel.Specification
		wantField string
	}{
		{vessel.Specification{}, ""},
		{vessel.Specification{Capacity: 3, MaxWeight: 5000}, ""},
		{vessel.Specification{Capacity: -1}, "capacity"},
		{vessel.Specification{MaxWeight: -1}, "max_weight"},
	}
	for _, tt := range tests {
		assertFieldError(t, tt.spec.Validate(), tt.wantField)
	}
}

func TestBookRequestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       vessel.BookRequest
		wantField string
	}{
		{"valid", vessel.BookRequest{ConsignmentID: "c1", Containers: 1, Weight: 1}, ""},
		{"no consignment_id", vessel.BookRequest{Containers: 1, Weight: 1}, "consignment_id"},
		{"consignment_id too long", vessel.BookRequest{ConsignmentID: strings.Repeat("c", 129), Containers: 1, Weight: 1}, "consignment_id"},
		{"no containers", vessel.BookRequest{ConsignmentID: "c1", Weight: 1}, "containers"},
		{"negative weight", vessel.BookRequest{ConsignmentID: "c1", Containers: 1, Weight: -5}, "weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertFieldError(t, tt.req.Validate(), tt.wantField)
		})
	}
}

func TestValidateFleet(t *testing.T) {
	t.Parallel()
	ok := func(id string) vessel.Vessel {
		return vessel.Vessel{ID: id, Capacity: 1, MaxWeight: 1, Available: true}
	}
	tests := []struct {
		name    string
		fleet   []vessel.Vessel
		wantErr string // "" when valid
	}{
		{"empty", nil, ""},
		{"valid", []vessel.Vessel{ok("a"), ok("b")}, ""},
		{"invalid field", []vessel.Vessel{ok("a"), {ID: "b", Capacity: 1}}, "[1].max_weight: must be positive, got 0"},
		{"missing id", []vessel.Vessel{ok("a"), ok("b"), ok("")}, "[2].id: required"},
		{"duplicate id", []vessel.Vessel{ok("a"), ok("b"), ok("a")}, `[2].id: "a" is also the id of [0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := vessel.ValidateFleet(tt.fleet)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateFleet: %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ValidateFleet: error %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, vessel.ErrInvalid) {
				t.Errorf("ValidateFleet error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestRemainingAndFits(t *testing.T) {
	t.Parallel()
	v := vessel.Vessel{Capacity: 10, MaxWeight: 100, Available: true, UsedCapacity: 4, UsedWeight: 70}
	if got, want := v.RemainingCapacity(), int32(6); got != want {
		t.Errorf("RemainingCapacity = %d, want %d", got, want)
	}
	if got, want := v.RemainingWeight(), int32(30); got != want {
		t.Errorf("RemainingWeight = %d, want %d", got, want)
	}
	tests := []struct {
		containers, weight int32
		available          bool
		want               bool
	}{
		{6, 30, true, true},
		{7, 30, true, false},
		{6, 31, true, false},
		{0, 0, true, true},
		{1, 1, false, false},
	}
	for _, tt := range tests {
		v.Available = tt.available
		if got := v.Fits(tt.containers, tt.weight); got != tt.want {
			t.Errorf("Fits(%d, %d) with available=%t = %t, want %t",
				tt.containers, tt.weight, tt.available, got, tt.want)
		}
	}
}

// assertFieldError checks that err is nil when wantField is empty, and
// otherwise a *FieldError for wantField that matches ErrInvalid.
func assertFieldError(t *testing.T, err error, wantField string) {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Errorf("got error %v, want nil", err)
		}
		return
	}
	fe, ok := errors.AsType[*vessel.FieldError](err)
	if !ok {
		t.Fatalf("got error %v, want a *FieldError for %q", err, wantField)
	}
	if fe.Field != wantField {
		t.Errorf("FieldError.Field = %q, want %q (error %v)", fe.Field, wantField, err)
	}
	if !errors.Is(err, vessel.ErrInvalid) {
		t.Errorf("error %v does not match ErrInvalid", err)
	}
}
