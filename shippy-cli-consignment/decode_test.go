package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/domain/consignment"
)

// tutorialConsignment is what the shipped consignment.json holds.
func tutorialConsignment() consignment.Consignment {
	return consignment.Consignment{
		Description: "This is a test consignment",
		Weight:      55000,
		Containers: []consignment.Container{
			{CustomerID: "cust001", UserID: "user001", Origin: "Manchester, United Kingdom"},
			{CustomerID: "cust002", UserID: "user001", Origin: "Derby, United Kingdom"},
			{CustomerID: "cust005", UserID: "user001", Origin: "Sheffield, United Kingdom"},
		},
	}
}

func TestDecodeFileShippedConsignment(t *testing.T) {
	t.Parallel()
	got, err := decodeFile("consignment.json")
	if err != nil {
		t.Fatalf("decodeFile(consignment.json): %v", err)
	}
	if want := tutorialConsignment(); !reflect.DeepEqual(got, want) {
		t.Errorf("decodeFile(consignment.json) = %+v, want %+v", got, want)
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	// minimal is what the minimal file decodes to: one container of customer
	// c from o, weight 1.
	minimal := consignment.Consignment{Weight: 1, Containers: []consignment.Container{{CustomerID: "c", Origin: "o"}}}
	tests := []struct {
		name string
		json string
		want consignment.Consignment
	}{
		{
			name: "minimal",
			json: `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}]}`,
			want: minimal,
		},
		{
			name: "every field, vessel_id ignored",
			json: `{"id": "c-1", "description": "d", "weight": 7, "vessel_id": "v9",
				"containers": [{"id": "k1", "customer_id": "c", "origin": "o", "user_id": "u"}]}`,
			want: consignment.Consignment{ID: "c-1", Description: "d", Weight: 7, Containers: []consignment.Container{
				{ID: "k1", CustomerID: "c", Origin: "o", UserID: "u"},
			}},
		},
		{
			name: "white space around the object",
			json: " \r\n\t{\"weight\": 1, \"containers\": [{\"customer_id\": \"c\", \"origin\": \"o\"}]}\n\n ",
			want: minimal,
		},
		{
			name: "null is the zero value",
			json: `{"id": null, "weight": 1, "containers": [{"customer_id": "c", "origin": "o", "user_id": null}]}`,
			want: minimal,
		},
		{
			name: "description of exactly 4 KiB",
			json: `{"description": "` + strings.Repeat("x", consignment.MaxDescriptionBytes) + `", "weight": 1,
				"containers": [{"customer_id": "c", "origin": "o"}]}`,
			want: consignment.Consignment{Description: strings.Repeat("x", consignment.MaxDescriptionBytes), Weight: 1,
				Containers: []consignment.Container{{CustomerID: "c", Origin: "o"}}},
		},
		{
			name: "unicode",
			json: `{"weight": 1, "containers": [{"customer_id": "c", "origin": "Zürich \u00e9"}]}`,
			want: consignment.Consignment{Weight: 1, Containers: []consignment.Container{{CustomerID: "c", Origin: "Zürich é"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decode("f.json", []byte(tt.json))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	// valid returns a valid consignment file with the top-level members
	// extra added.
	valid := func(extra string) string {
		return `{` + extra + `"weight": 55000, "containers": [{"customer_id": "c", "origin": "o"}]}`
	}
	tests := []struct {
		name string
		json string
		want string
	}{
		// Not JSON, or not one object.
		{"empty file", ``, `f.json: empty, want a JSON object`},
		{"only white space", " \n ", `f.json: empty, want a JSON object`},
		{"invalid JSON", "{\n  \"weight\": 1,\n  \"containers\": ]\n}",
			`f.json: invalid JSON at line 3, column 17: invalid character ']' looking for beginning of value`},
		{"invalid JSON after multibyte characters", `{"description": "é", x}`,
			`f.json: invalid JSON at line 1, column 22: invalid character 'x' looking for beginning of object key string`},
		{"truncated", `{"weight": 1, "containers": [`, `f.json: invalid JSON at line 1, column 30: unexpected end of file`},
		{"trailing object", valid(``) + ` {}`, `f.json: unexpected data after the JSON object at line 1, column 72`},
		{"trailing garbage on the next line", valid(``) + "\n x", `f.json: unexpected data after the JSON object at line 2, column 2`},
		{"array", `[]`, `f.json: want a JSON object, got array`},
		{"null", `null`, `f.json: want a JSON object, got null`},
		{"string", `"consignment"`, `f.json: want a JSON object, got string`},

		// Wrong types.
		{"weight as string", `{"weight": "heavy", "containers": [{"customer_id": "c", "origin": "o"}]}`,
			`f.json: weight: want a whole number, got string`},
		{"weight as fraction", `{"weight": 1.5}`, `f.json: weight: want a whole number, got 1.5`},
		{"weight out of range", `{"weight": 99999999999}`,
			`f.json: weight: want a whole number from -2147483648 to 2147483647, got 99999999999`},
		{"id as number", `{"id": 7}`, `f.json: id: want a string, got number`},
		{"description as bool", `{"description": true}`, `f.json: description: want a string, got bool`},
		{"vessel_id as object", `{"vessel_id": {}}`, `f.json: vessel_id: want a string, got object`},
		{"containers as object", `{"containers": {"origin": "o"}}`, `f.json: containers: want an array, got object`},
		{"container as string", `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}, "box"]}`,
			`f.json: containers[1]: want an object, got string`},
		{"container field as number", `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}, {"origin": 3}]}`,
			`f.json: containers[1].origin: want a string, got number`},

		// Unknown or repeated members.
		{"unknown field", valid(`"colour": "red", `), `f.json: colour: unknown field`},
		{"unknown container field", `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}, {"colour": "red"}]}`,
			`f.json: containers[1].colour: unknown field`},
		{"field name in another case", valid(`"Weight": 1, `), `f.json: Weight: unknown field`},
		{"field name to quote", valid(`"a b\n": 1, `), `f.json: "a b\n": unknown field`},
		{"repeated field", valid(`"weight": 1, `), `f.json: weight: given more than once`},

		// The service's rules.
		{"no containers", `{"weight": 1, "containers": []}`, `f.json: containers: at least one container is required`},
		{"containers missing", `{"weight": 1}`, `f.json: containers: at least one container is required`},
		{"zero weight", `{"weight": 0, "containers": [{"customer_id": "c", "origin": "o"}]}`,
			`f.json: weight: must be positive, got 0`},
		{"weight missing", `{"containers": [{"customer_id": "c", "origin": "o"}]}`, `f.json: weight: must be positive, got 0`},
		{"negative weight", `{"weight": -5, "containers": [{"customer_id": "c", "origin": "o"}]}`,
			`f.json: weight: must be positive, got -5`},
		{"container without customer_id", `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}, {"origin": "o"}]}`,
			`f.json: containers[1].customer_id: required`},
		{"container without origin", `{"weight": 1, "containers": [{"customer_id": "c", "origin": ""}]}`,
			`f.json: containers[0].origin: required`},
		{"description over 4 KiB", valid(`"description": "` + strings.Repeat("x", consignment.MaxDescriptionBytes+1) + `", `),
			`f.json: description: longer than 4096 bytes`},
		{"id too long", valid(`"id": "` + strings.Repeat("i", consignment.MaxIDBytes+1) + `", `),
			`f.json: id: longer than 128 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decode("f.json", []byte(tt.json))
			checkError(t, err, exitBadInput, tt.want)
		})
	}
}

func TestDecodeFieldErrorsMatchTheDomain(t *testing.T) {
	t.Parallel()
	_, err := decode("f.json", []byte(`{"weight": 1, "containers": [{"origin": "o"}]}`))
	if !errors.Is(err, consignment.ErrInvalid) {
		t.Errorf("errors.Is(%v, consignment.ErrInvalid) = false, want true", err)
	}
	fe, ok := errors.AsType[*consignment.FieldError](err)
	if !ok {
		t.Fatalf("error %v is not a *consignment.FieldError", err)
	}
	if got, want := fe.Field, "containers[0].customer_id"; got != want {
		t.Errorf("Field = %q, want %q", got, want)
	}
}

func TestDecodeFileRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	valid := `{"weight": 1, "containers": [{"customer_id": "c", "origin": "o"}]}`
	// A valid object padded with white space to size bytes.
	padded := func(size int) string { return valid + strings.Repeat(" ", size-len(valid)) }

	tests := []struct {
		name string
		path string
		want string // the error after the path and ": "
	}{
		{"missing", filepath.Join(dir, "missing.json"), "no such file or directory"},
		{"directory", dir, "is a directory"},
		{"one byte over 1 MiB", write("big.json", padded(maxFileBytes+1)), "larger than 1 MiB"},
		{"far over 1 MiB", write("huge.json", padded(3*maxFileBytes)), "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeFile(tt.path)
			checkError(t, err, exitBadInput, tt.path+": "+tt.want)
		})
	}

	t.Run("exactly 1 MiB is accepted", func(t *testing.T) {
		t.Parallel()
		if _, err := decodeFile(write("max.json", padded(maxFileBytes))); err != nil {
			t.Errorf("decodeFile: %v", err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	shipped, err := os.ReadFile("consignment.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(shipped),
		`{"id": "x", "weight": 1, "vessel_id": "v", "containers": [{"id": "k", "customer_id": "c", "origin": "o", "user_id": "u"}]}`,
		`{"weight": "1"}`,
		`{"weight": 1e3, "containers": [{"colour": 1}]}`,
		`{"containers": [null, 1, "x", []]}`,
		`{"a": 1, "a": 2} {}`,
		`[`,
		"\xff",
		``,
	} {
		f.Add([]byte(seed))
	}
	const name = "fuzz.json"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decode(name, data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, name+": ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q is not one line", msg)
			}
			if got := exitCode(err); got != exitBadInput {
				t.Errorf("exit code = %d, want %d", got, exitBadInput)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("decode accepted %q, which does not validate: %v", data, err)
		}
	})
}
