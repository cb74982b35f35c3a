package fleet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-vessel/fleet"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []vessel.Vessel
		wantErr string // the whole error text; "" when the fleet is accepted
	}{
		{
			name: "all fields",
			in:   `[{"id":"v1","name":"n","capacity":5,"max_weight":50,"available":false,"owner_id":"o"}]`,
			want: []vessel.Vessel{{ID: "v1", Name: "n", OwnerID: "o", Capacity: 5, MaxWeight: 50}},
		},
		{
			name: "available when omitted or null",
			in:   `[{"id":"v1","capacity":5,"max_weight":50}, {"id":"v2","capacity":1,"max_weight":1,"available":null}]`,
			want: []vessel.Vessel{
				{ID: "v1", Capacity: 5, MaxWeight: 50, Available: true},
				{ID: "v2", Capacity: 1, MaxWeight: 1, Available: true},
			},
		},
		{name: "empty fleet", in: " [ ] ", want: []vessel.Vessel{}},
		{
			name:    "invalid field",
			in:      `[{"id":"a","capacity":1,"max_weight":1},{"id":"b","capacity":1,"max_weight":1},{"id":"c","capacity":1,"max_weight":0}]`,
			wantErr: "fleet.json: [2].max_weight: must be positive, got 0",
		},
		{
			name:    "missing id",
			in:      `[{"capacity":1,"max_weight":1}]`,
			wantErr: "fleet.json: [0].id: required",
		},
		{
			name:    "duplicate id",
			in:      `[{"id":"a","capacity":1,"max_weight":1},{"id":"a","capacity":2,"max_weight":2}]`,
			wantErr: `fleet.json: [1].id: "a" is also the id of [0]`,
		},
		{
			name:    "unknown field",
			in:      `[{"id":"a","capacity":1,"max_weight":1,"colour":"red"}]`,
			wantErr: "fleet.json: [0].colour: unknown field (known: id, name, capacity, max_weight, available, owner_id)",
		},
		{
			name:    "service-set field",
			in:      `[{"id":"a","capacity":1,"max_weight":1,"remaining_capacity":1}]`,
			wantErr: "fleet.json: [0].remaining_capacity: unknown field (known: id, name, capacity, max_weight, available, owner_id)",
		},
		{
			name:    "field names are case sensitive",
			in:      `[{"id":"a","Capacity":1,"max_weight":1}]`,
			wantErr: "fleet.json: [0].Capacity: unknown field (known: id, name, capacity, max_weight, available, owner_id)",
		},
		{
			name:    "capacity not a number",
			in:      `[{"id":"a","capacity":"5","max_weight":1}]`,
			wantErr: "fleet.json: [0].capacity: must be a whole number that fits in 32 bits",
		},
		{
			name:    "max_weight beyond 32 bits",
			in:      `[{"id":"a","capacity":1,"max_weight":2147483648}]`,
			wantErr: "fleet.json: [0].max_weight: must be a whole number that fits in 32 bits",
		},
		{
			name:    "available not a bool",
			in:      `[{"id":"a","capacity":1,"max_weight":1,"available":"yes"}]`,
			wantErr: "fleet.json: [0].available: must be true or false",
		},
		{
			name:    "element not an object",
			in:      `[{"id":"a","capacity":1,"max_weight":1}, 7]`,
			wantErr: "fleet.json: [1]: must be a JSON object",
		},
		{name: "not an array", in: `{"id":"a"}`, wantErr: "fleet.json: not a JSON array of vessels"},
		{name: "null", in: `null`, wantErr: "fleet.json: not a JSON array of vessels"},
		{name: "empty file", in: ``, wantErr: "fleet.json: not a JSON array of vessels"},
		{
			name:    "syntax error",
			in:      "[\n  {\"id\": \"a\",, }\n]",
			wantErr: "fleet.json: invalid JSON at line 2, column 14: invalid character ',' looking for beginning of object key string",
		},
		{
			name:    "data after the array",
			in:      `[] []`,
			wantErr: "fleet.json: invalid JSON at line 1, column 4: invalid character '[' after top-level value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := fleet.Decode("fleet.json", strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Decode: error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Decode =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeFieldErrorsMatchErrInvalid(t *testing.T) {
	t.Parallel()
	_, err := fleet.Decode("f.json", strings.NewReader(`[{"id":"a","capacity":-1,"max_weight":1}]`))
	fe, ok := errors.AsType[*vessel.FieldError](err)
	if !ok || fe.Field != "[0].capacity" || !errors.Is(err, vessel.ErrInvalid) {
		t.Errorf("Decode error %v: want a *vessel.FieldError for [0].capacity matching ErrInvalid", err)
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	t.Parallel()
	// A valid array padded with spaces to exactly the limit is accepted;
	// one byte more is not.
	valid := `[{"id":"a","capacity":1,"max_weight":1}]`
	atLimit := valid + strings.Repeat(" ", fleet.MaxFileBytes-len(valid))
	if _, err := fleet.Decode("big.json", strings.NewReader(atLimit)); err != nil {
		t.Errorf("Decode of %d bytes: %v", len(atLimit), err)
	}
	_, err := fleet.Decode("big.json", strings.NewReader(atLimit+" "))
	if want := "big.json: larger than 1048576 bytes"; err == nil || err.Error() != want {
		t.Errorf("Decode of %d bytes: error %v, want %q", len(atLimit)+1, err, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	got, err := fleet.Load("testdata/fleet.json")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := []vessel.Vessel{
		{ID: "vessel001", Name: "Boaty McBoatface", Capacity: 500, MaxWeight: 200000, Available: true},
		{ID: "vessel002", Name: "Feeder", OwnerID: "owner-1", Capacity: 20, MaxWeight: 30000, Available: true},
		{ID: "vessel003", Name: "In dry dock", Capacity: 100, MaxWeight: 90000},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Load =\n %+v\nwant\n %+v", got, want)
	}

	_, err = fleet.Load("testdata/missing.json")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "testdata/missing.json") {
		t.Errorf("Load(missing file): error %v, want one naming the file and matching fs.ErrNotExist", err)
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	got := fleet.Default()
	want := []vessel.Vessel{{ID: "vessel001", Name: "Boaty McBoatface", Capacity: 500, MaxWeight: 200000, Available: true}}
	if !slices.Equal(got, want) {
		t.Errorf("Default = %+v, want %+v", got, want)
	}
	if err := vessel.ValidateFleet(got); err != nil {
		t.Errorf("Default fleet invalid: %v", err)
	}
}

// FuzzDecodeFleet checks that Decode never panics, that every fleet it
// accepts is valid, and that an accepted fleet written back as a fleet file
// decodes to itself.
func FuzzDecodeFleet(f *testing.F) {
	for _, seed := range []string{
		`[{"id":"vessel001","name":"Boaty McBoatface","capacity":500,"max_weight":200000,"available":true}]`,
		`[{"id":"a","capacity":1,"max_weight":1},{"id":"b","capacity":2,"max_weight":2,"available":false,"owner_id":"o"}]`,
		`[{"id":"a","capacity":1,"max_weight":1},{"id":"a","capacity":1,"max_weight":1}]`,
		`[{"id":"a","capacity":1.5,"max_weight":1e3,"available":null}]`,
		`[{"id":"\u00e9\ud800","capacity":2147483647,"max_weight":-2147483648}]`,
		`[{"id":"a","capacity":1,"max_weight":1,"x":{}}]`,
		`[[],{},null,"",0]`,
		`[]`, `{}`, `null`, ``, `[`, "[\n{\"id\":",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := fleet.Decode("fuzz.json", bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Errorf("error %q does not start with the file name", err)
			}
			return
		}
		if err := vessel.ValidateFleet(got); err != nil {
			t.Fatalf("accepted an invalid fleet %+v: %v", got, err)
		}
		for _, v := range got {
			if v.UsedCapacity != 0 || v.UsedWeight != 0 {
				t.Fatalf("accepted a fleet with room booked: %+v", v)
			}
		}
		again, err := fleet.Decode("again.json", bytes.NewReader(encode(t, got)))
		if err != nil {
			t.Fatalf("re-decoding accepted fleet %+v: %v", got, err)
		}
		if !slices.Equal(again, got) {
			t.Fatalf("round trip changed the fleet:\n got %+v\nwant %+v", again, got)
		}
	})
}

// encode writes fleet as a fleet file.
func encode(t *testing.T, fleet []vessel.Vessel) []byte {
	t.Helper()
	type entry struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Capacity  int32  `json:"capacity"`
		MaxWeight int32  `json:"max_weight"`
		Available bool   `json:"available"`
		OwnerID   string `json:"owner_id"`
	}
	entries := make([]entry, len(fleet))
	for i, v := range fleet {
		entries[i] = entry{v.ID, v.Name, v.Capacity, v.MaxWeight, v.Available, v.OwnerID}
	}
	data, err := json.Marshal(entries)
	if err != nil {
		t.Fatalf("encode fleet: %v", err)
	}
	return data
}
