package wirecompat

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The tutorial's protos (the reference) and ours, from this package's directory.
var (
	tutorialRoot = filepath.Join("..", "..", "compat", "tutorial-client", "proto")
	oursRoot     = filepath.Join("..", "..", "proto")
)

// TestTutorialContract holds proto/ to the tutorial's wire contract: a
// client built from the tutorial's protos must keep working.
func TestTutorialContract(t *testing.T) {
	t.Parallel()
	reference, err := Load(t.Context(), tutorialRoot)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Load(t.Context(), oursRoot)
	if err != nil {
		t.Fatal(err)
	}
	// Every reference file, named so that a reference that moved or lost a
	// file fails here instead of passing with nothing compared.
	tests := []struct {
		file     string
		services []protoreflect.FullName
	}{
		{file: "consignment/consignment.proto", services: []protoreflect.FullName{"consignment.ShippingService"}},
		{file: "user/user.proto", services: []protoreflect.FullName{"user.UserService"}},
		{file: "vessel/vessel.proto", services: []protoreflect.FullName{"vessel.VesselService"}},
	}
	var loaded []string
	for _, f := range reference {
		loaded = append(loaded, f.Path())
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.file)
	}
	slices.Sort(loaded)
	if !slices.Equal(loaded, want) {
		t.Fatalf("reference files below %s: got %v, want %v", tutorialRoot, loaded, want)
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			ref := fileByPath(t, reference, tt.file)
			var services []protoreflect.FullName
			for j := range ref.Services().Len() {
				services = append(services, ref.Services().Get(j).FullName())
			}
			if !slices.Equal(services, tt.services) {
				t.Errorf("reference services: got %v, want %v", services, tt.services)
			}
			for _, v := range Compare([]protoreflect.FileDescriptor{ref}, ours) {
				t.Errorf("%s breaks the tutorial's wire contract (%s): %s", oursRoot, filepath.Join(tutorialRoot, tt.file), v)
			}
		})
	}
}

// TestTutorialContractCatches proves that TestTutorialContract fails on the
// mistakes it exists for: each case edits one of our real protos and
// expects the violations Compare must report against the real reference.
func TestTutorialContractCatches(t *testing.T) {
	t.Parallel()
	reference, err := Load(t.Context(), tutorialRoot)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, file := range []string{"consignment/consignment.proto", "user/user.proto", "vessel/vessel.proto"} {
		data, err := os.ReadFile(filepath.Join(oursRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		sources[file] = string(data)
	}
	runEdits(t, reference, sources, []editCase{
		{
			name: "a new field takes a tutorial number",
			file: "consignment/consignment.proto",
			edit: []string{"string vessel_id = 5;", "string vessel_id = 9;\n  string carrier = 5;"},
			want: []string{
				"consignment.Consignment field vessel_id: number is now 9, was 5",
				"consignment.Consignment field 5 (vessel_id): name is now carrier",
			},
		},
		{
			name: "a tutorial field widened",
			file: "vessel/vessel.proto",
			edit: []string{"int32 max_weight = 3;", "int64 max_weight = 3;"},
			want: []string{"vessel.Vessel field 3 (max_weight): type is now int64, was int32"},
		},
		{
			name: "a tutorial method answers another message",
			file: "vessel/vessel.proto",
			edit: []string{"rpc FindAvailable(Specification) returns (Response)", "rpc FindAvailable(Specification) returns (BookResponse)"},
			want: []string{"method vessel.VesselService.FindAvailable: output is now vessel.BookResponse, was vessel.Response"},
		},
		{
			name: "a user's password moved to a new number",
			file: "user/user.proto",
			edit: []string{"string password = 5;", "string password = 7;"},
			want: []string{
				"user.User field password: number is now 7, was 5",
				"user.User field 5 (password): missing",
			},
		},
		{
			name: "a tutorial list made single",
			file: "consignment/consignment.proto",
			edit: []string{"repeated Consignment consignments = 3;", "Consignment consignments = 3;"},
			want: []string{"consignment.Response field 3 (consignments): cardinality is now optional, was repeated"},
		},
	})
}

// referenceProto is the reference of TestCompare: a small protocol with
// everything Compare looks at, including what the tutorial's protos lack
// (nested messages, enums, streaming, reserved numbers and names).
const referenceProto = `syntax = "proto3";
package tut;

service Shipping {
  rpc Create(Item) returns (Response) {}
  rpc Watch(Item) returns (stream Response) {}
}

message Item {
  reserved 7;
  reserved "legacy";
  string id = 1;           // a scalar
  int32 weight = 2;        // a number
  repeated Part parts = 3; // a list of a nested message
  Kind kind = 4;           // an enum

  message Part {
    string origin = 1;
  }
}

enum Kind {
  KIND_UNSPECIFIED = 0;
  KIND_BOX = 1;
}

message Response {
  bool created = 1;
  Item item = 2;
}
`

// TestCompare checks each rule of Compare on one deliberate change to
// referenceProto.
func TestCompare(t *testing.T) {
	t.Parallel()
	reference := compileEdited(t, "tut.proto", referenceProto, nil)
	tests := []editCase{
		{name: "unchanged"},
		{
			name: "additions are allowed",
			edit: []string{
				"Kind kind = 4;", "Kind kind = 4;\n  string note = 8;",
				"rpc Watch", "rpc Delete(Item) returns (Response) {}\n  rpc Watch",
				"enum Kind", "message Extra {}\n\nenum Kind",
				"KIND_BOX = 1;", "KIND_BOX = 1;\n  KIND_CRATE = 2;",
			},
		},
		{
			name: "field renumbered",
			edit: []string{"int32 weight = 2;", "int32 weight = 5;"},
			want: []string{"tut.Item field weight: number is now 5, was 2", "tut.Item field 2 (weight): missing"},
		},
		{
			name: "field renamed",
			edit: []string{"int32 weight = 2;", "int32 mass = 2;"},
			want: []string{"tut.Item field 2 (weight): name is now mass"},
		},
		{
			name: "field deleted",
			edit: []string{"int32 weight = 2;", ""},
			want: []string{"tut.Item field 2 (weight): missing"},
		},
		{
			name: "field's JSON name changed",
			edit: []string{"string id = 1;", `string id = 1 [json_name = "ident"];`},
			want: []string{"tut.Item field 1 (id): JSON name is now ident, was id"},
		},
		{
			name: "scalar type changed",
			edit: []string{"int32 weight = 2;", "int64 weight = 2;"},
			want: []string{"tut.Item field 2 (weight): type is now int64, was int32"},
		},
		{
			name: "message type changed",
			edit: []string{"repeated Part parts = 3;", "repeated Item parts = 3;"},
			want: []string{"tut.Item field 3 (parts): type is now message tut.Item, was message tut.Item.Part"},
		},
		{
			name: "enum type changed to a number",
			edit: []string{"Kind kind = 4;", "int32 kind = 4;"},
			want: []string{"tut.Item field 4 (kind): type is now int32, was enum tut.Kind"},
		},
		{
			name: "cardinality changed",
			edit: []string{"repeated Part parts = 3;", "Part parts = 3;"},
			want: []string{"tut.Item field 3 (parts): cardinality is now optional, was repeated"},
		},
		{
			name: "reserved number reused",
			edit: []string{"reserved 7;", "string extra = 7;"},
			want: []string{"tut.Item field 7 (extra): number 7 is reserved by the reference"},
		},
		{
			name: "reserved name reused",
			edit: []string{`reserved "legacy";`, "string legacy = 9;"},
			want: []string{"tut.Item field 9 (legacy): name legacy is reserved by the reference"},
		},
		{
			name: "nested message changed",
			edit: []string{"string origin = 1;", "bytes origin = 1;"},
			want: []string{"tut.Item.Part field 1 (origin): type is now bytes, was string"},
		},
		{
			name: "enum value renamed",
			edit: []string{"KIND_BOX = 1;", "KIND_CRATE = 1;"},
			want: []string{"enum tut.Kind value 1 (KIND_BOX): name is now KIND_CRATE"},
		},
		{
			name: "enum value deleted",
			edit: []string{"KIND_BOX = 1;", ""},
			want: []string{"enum tut.Kind value 1 (KIND_BOX): missing"},
		},
		{
			name: "message renamed",
			edit: []string{"Response", "Reply"},
			want: []string{
				"message tut.Response: missing",
				"method tut.Shipping.Create: output is now tut.Reply, was tut.Response",
				"method tut.Shipping.Watch: output is now tut.Reply, was tut.Response",
			},
		},
		{
			name: "package renamed",
			edit: []string{"package tut;", "package tutorial;"},
			want: []string{"message tut.Item: missing", "message tut.Response: missing", "enum tut.Kind: missing", "service tut.Shipping: missing"},
		},
		{
			name: "service renamed",
			edit: []string{"service Shipping", "service ShippingService"},
			want: []string{"service tut.Shipping: missing"},
		},
		{
			name: "method renamed",
			edit: []string{"rpc Create(", "rpc CreateItem("},
			want: []string{"method tut.Shipping.Create: missing"},
		},
		{
			name: "method input changed",
			edit: []string{"rpc Create(Item)", "rpc Create(Response)"},
			want: []string{"method tut.Shipping.Create: input is now tut.Response, was tut.Item"},
		},
		{
			name: "server streaming dropped",
			edit: []string{"returns (stream Response)", "returns (Response)"},
			want: []string{"method tut.Shipping.Watch: server streaming is now false, was true"},
		},
		{
			name: "client streaming added",
			edit: []string{"rpc Create(Item)", "rpc Create(stream Item)"},
			want: []string{"method tut.Shipping.Create: client streaming is now true, was false"},
		},
	}
	for i := range tests {
		tests[i].file = "tut.proto" // every case edits the one file
	}
	runEdits(t, reference, map[string]string{"tut.proto": referenceProto}, tests)
}

// editCase is one deliberate change to the source of file: edit holds old,
// new pairs as strings.NewReplacer takes them; want, the violations Compare
// must report against the reference file of the same path.
type editCase struct {
	name string
	file string
	edit []string
	want []string
}

// runEdits runs each case as a parallel subtest, on sources by path.
func runEdits(t *testing.T, reference []protoreflect.FileDescriptor, sources map[string]string, cases []editCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ref := fileByPath(t, reference, tt.file)
			got := Compare([]protoreflect.FileDescriptor{ref}, compileEdited(t, tt.file, sources[tt.file], tt.edit))
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations:\ngot:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

// fileByPath returns the file of files whose path is path.
func fileByPath(t *testing.T, files []protoreflect.FileDescriptor, path string) protoreflect.FileDescriptor {
	t.Helper()
	i := slices.IndexFunc(files, func(f protoreflect.FileDescriptor) bool { return f.Path() == path })
	if i < 0 {
		t.Fatalf("no file %s among the reference files", path)
	}
	return files[i]
}

// compileEdited compiles src as the file path after applying edit (old, new
// pairs, each old required to occur in src), and fails the test when src
// does not compile.
func compileEdited(t *testing.T, path, src string, edit []string) []protoreflect.FileDescriptor {
	t.Helper()
	for i := 0; i < len(edit); i += 2 {
		if !strings.Contains(src, edit[i]) {
			t.Fatalf("edit: %q does not occur in %s", edit[i], path)
		}
	}
	src = strings.NewReplacer(edit...).Replace(src)
	resolver := &protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(map[string]string{path: src})}
	files, err := compile(t.Context(), resolver, []string{path})
	if err != nil {
		t.Fatalf("edited %s does not compile: %v\n%s", path, err, src)
	}
	return files
}
