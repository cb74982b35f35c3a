// Package wirecompat checks that the protos of today keep the wire contract of
// a reference set of protos (the tutorial's, in compat/): what a client built
// from the reference sends and expects must still mean the same thing.
//
// The contract is kept by full name: every message, enum and service of the
// reference exists under the same full name (go-micro routes by
// Service.Method, and the package is part of the name); every reference
// field has the same number, name, JSON name, type and cardinality; every
// enum value the same number and name; every method the same input, output
// and streaming. Additions are allowed, since that is how the protos grow,
// but no field of ours may take a number or name the reference reserves, or
// a reference field's name under another number.
package wirecompat

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Load compiles every .proto file below root, with import paths relative to
// root, as one compilation. It fails when a file does not compile or when
// root holds no .proto file.
func Load(ctx context.Context, root string) ([]protoreflect.FileDescriptor, error) {
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".proto" {
			return err
		}
		rel, err := filepath.Rel(root, path)
		paths = append(paths, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find protos: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .proto files below %s", root)
	}
	return compile(ctx, &protocompile.SourceResolver{ImportPaths: []string{root}}, paths)
}

// compile compiles paths, found through resolver (and the standard imports).
func compile(ctx context.Context, resolver protocompile.Resolver, paths []string) ([]protoreflect.FileDescriptor, error) {
	compiler := protocompile.Compiler{Resolver: protocompile.WithStandardImports(resolver)}
	files, err := compiler.Compile(ctx, paths...)
	if err != nil {
		return nil, fmt.Errorf("compile %v: %w", paths, err)
	}
	out := make([]protoreflect.FileDescriptor, len(files))
	for i, f := range files {
		out[i] = f
	}
	return out, nil
}

// Compare returns every way in which ours breaks the contract of reference,
// one sentence each, in the reference's declaration order; none when ours
// keeps it. A missing message, enum or service is reported once, not with
// everything it declares.
func Compare(reference, ours []protoreflect.FileDescriptor) []string {
	c := comparison{ours: map[protoreflect.FullName]protoreflect.Descriptor{}}
	for _, f := range ours {
		c.index(f.Messages(), f.Enums())
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			c.ours[s.FullName()] = s
		}
	}
	for _, f := range reference {
		each(&c, "message", f.Messages(), c.message)
		each(&c, "enum", f.Enums(), c.enum)
		each(&c, "service", f.Services(), c.service)
	}
	return c.violations
}

// comparison is one Compare: ours by full name, and what it found so far.
type comparison struct {
	ours       map[protoreflect.FullName]protoreflect.Descriptor
	violations []string
}

func (c *comparison) reportf(format string, a ...any) {
	c.violations = append(c.violations, fmt.Sprintf(format, a...))
}

// index adds messages and enums, and those nested in them, to c.ours.
func (c *comparison) index(messages protoreflect.MessageDescriptors, enums protoreflect.EnumDescriptors) {
	for i := range messages.Len() {
		m := messages.Get(i)
		c.ours[m.FullName()] = m
		c.index(m.Messages(), m.Enums())
	}
	for i := range enums.Len() {
		c.ours[enums.Get(i).FullName()] = enums.Get(i)
	}
}

// list is what protoreflect's lists of declarations have in common.
type list[T any] interface {
	Len() int
	Get(i int) T
}

// each calls compare with every declaration of refs and ours of the same
// full name, and reports (as kind, e.g. "message") those ours lacks or
// declares as something else.
func each[R, T protoreflect.Descriptor](c *comparison, kind string, refs list[R], compare func(ref R, ours T)) {
	for i := range refs.Len() {
		ref := refs.Get(i)
		ours, ok := c.ours[ref.FullName()].(T)
		if !ok {
			c.reportf("%s %s: missing", kind, ref.FullName())
			continue
		}
		compare(ref, ours)
	}
}

// message compares one reference message, and those nested in it, with ours.
func (c *comparison) message(ref, ours protoreflect.MessageDescriptor) {
	for i := range ref.Fields().Len() {
		c.field(ref.FullName(), ref.Fields().Get(i), ours.Fields())
	}
	for i := range ours.Fields().Len() {
		f := ours.Fields().Get(i)
		if ref.ReservedRanges().Has(f.Number()) {
			c.reportf("%s field %d (%s): number %d is reserved by the reference", ref.FullName(), f.Number(), f.Name(), f.Number())
		}
		if ref.ReservedNames().Has(f.Name()) {
			c.reportf("%s field %d (%s): name %s is reserved by the reference", ref.FullName(), f.Number(), f.Name(), f.Name())
		}
	}
	each(c, "message", ref.Messages(), c.message)
	each(c, "enum", ref.Enums(), c.enum)
}

// field compares one field of the reference message msg with ours.
func (c *comparison) field(msg protoreflect.FullName, ref protoreflect.FieldDescriptor, ours protoreflect.FieldDescriptors) {
	where := fmt.Sprintf("%s field %d (%s)", msg, ref.Number(), ref.Name())
	if moved := ours.ByName(ref.Name()); moved != nil && moved.Number() != ref.Number() {
		c.reportf("%s field %s: number is now %d, was %d", msg, ref.Name(), moved.Number(), ref.Number())
	}
	f := ours.ByNumber(ref.Number())
	if f == nil {
		c.reportf("%s: missing", where)
		return
	}
	if f.Name() != ref.Name() {
		c.reportf("%s: name is now %s", where, f.Name())
	} else if f.JSONName() != ref.JSONName() {
		c.reportf("%s: JSON name is now %s, was %s", where, f.JSONName(), ref.JSONName())
	}
	if got, want := typeOf(f), typeOf(ref); got != want {
		c.reportf("%s: type is now %s, was %s", where, got, want)
	}
	if f.Cardinality() != ref.Cardinality() {
		c.reportf("%s: cardinality is now %s, was %s", where, f.Cardinality(), ref.Cardinality())
	}
}

// typeOf names a field's type: its kind, and for a message or an enum the
// full name of the type.
func typeOf(f protoreflect.FieldDescriptor) string {
	switch {
	case f.Message() != nil:
		return fmt.Sprintf("%s %s", f.Kind(), f.Message().FullName())
	case f.Enum() != nil:
		return fmt.Sprintf("%s %s", f.Kind(), f.Enum().FullName())
	}
	return f.Kind().String()
}

// enum compares one reference enum's values with ours.
func (c *comparison) enum(ref, ours protoreflect.EnumDescriptor) {
	for i := range ref.Values().Len() {
		v := ref.Values().Get(i)
		where := fmt.Sprintf("enum %s value %d (%s)", ref.FullName(), v.Number(), v.Name())
		switch got := ours.Values().ByNumber(v.Number()); {
		case got == nil:
			c.reportf("%s: missing", where)
		case got.Name() != v.Name():
			c.reportf("%s: name is now %s", where, got.Name())
		}
	}
}

// service compares one reference service's methods with ours.
func (c *comparison) service(ref, ours protoreflect.ServiceDescriptor) {
	for i := range ref.Methods().Len() {
		m := ref.Methods().Get(i)
		where := "method " + m.FullName()
		got := ours.Methods().ByName(m.Name())
		if got == nil {
			c.reportf("%s: missing", where)
			continue
		}
		if got.Input().FullName() != m.Input().FullName() {
			c.reportf("%s: input is now %s, was %s", where, got.Input().FullName(), m.Input().FullName())
		}
		if got.Output().FullName() != m.Output().FullName() {
			c.reportf("%s: output is now %s, was %s", where, got.Output().FullName(), m.Output().FullName())
		}
		if got.IsStreamingClient() != m.IsStreamingClient() {
			c.reportf("%s: client streaming is now %t, was %t", where, got.IsStreamingClient(), m.IsStreamingClient())
		}
		if got.IsStreamingServer() != m.IsStreamingServer() {
			c.reportf("%s: server streaming is now %t, was %t", where, got.IsStreamingServer(), m.IsStreamingServer())
		}
	}
}
