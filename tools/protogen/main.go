// Command protogen generates the Go code of the project's protos without a
// protoc installation: it compiles the .proto files with protocompile (a pure
// Go protobuf compiler) and hands the result to the pinned protoc plugins,
// exactly as protoc would (a CodeGeneratorRequest on the plugin's stdin).
//
// Usage, from the tools module:
//
//	go run ./protogen -root ../proto -out ../proto
//
// Each directory below root that holds .proto files is one Go package and is
// generated in a call of its own (protoc-gen-micro refuses to mix packages).
// protoc-gen-micro runs only for packages that declare a service, so a
// package of messages only (a store's records) gets no empty .pb.micro.go.
// Plugins run as `go tool protoc-gen-go` and `go tool protoc-gen-micro` with
// GOWORK=off, so their versions are the ones pinned in this module's go.mod.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/protoutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// plugins are the protoc plugins run for a package, in order; a plugin of
// services runs only for a package that declares one.
var plugins = []struct {
	name     string
	services bool
}{{"protoc-gen-go", false}, {"protoc-gen-micro", true}}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("protogen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	root := flags.String("root", "../proto", "directory the .proto import paths are relative to")
	out := flags.String("out", "", "directory to write generated files to (default: root)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		*out = *root
	}

	packages, err := findPackages(*root)
	if err != nil {
		return err
	}
	if len(packages) == 0 {
		return fmt.Errorf("no .proto files below %s", *root)
	}
	compiler := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{*root}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	for _, files := range packages {
		req, err := request(ctx, compiler, files)
		if err != nil {
			return err
		}
		for _, plugin := range plugins {
			if plugin.services && !hasService(req) {
				continue
			}
			if err := generate(ctx, plugin.name, req, *out); err != nil {
				return err
			}
		}
	}
	return nil
}

// findPackages groups the .proto files below root by directory, as paths
// relative to root, sorted so that the output never depends on walk order.
func findPackages(root string) ([][]string, error) {
	byDir := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".proto" {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		byDir[filepath.Dir(rel)] = append(byDir[filepath.Dir(rel)], rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find protos: %w", err)
	}
	dirs := make([]string, 0, len(byDir))
	for dir := range byDir {
		dirs = append(dirs, dir)
	}
	slices.Sort(dirs)
	packages := make([][]string, 0, len(dirs))
	for _, dir := range dirs {
		files := byDir[dir]
		slices.Sort(files)
		packages = append(packages, files)
	}
	return packages, nil
}

// request compiles files and builds the CodeGeneratorRequest protoc would
// send: every file the request needs, dependencies first.
func request(ctx context.Context, compiler protocompile.Compiler, files []string) (*pluginpb.CodeGeneratorRequest, error) {
	compiled, err := compiler.Compile(ctx, files...)
	if err != nil {
		return nil, fmt.Errorf("compile %v: %w", files, err)
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: files,
		Parameter:      proto.String("paths=source_relative"),
	}
	seen := map[string]bool{}
	var add func(fd *descriptorpb.FileDescriptorProto, deps func(string) *descriptorpb.FileDescriptorProto)
	add = func(fd *descriptorpb.FileDescriptorProto, deps func(string) *descriptorpb.FileDescriptorProto) {
		if seen[fd.GetName()] {
			return
		}
		seen[fd.GetName()] = true
		for _, dep := range fd.GetDependency() {
			add(deps(dep), deps)
		}
		req.ProtoFile = append(req.ProtoFile, fd)
	}
	for _, file := range compiled {
		imports := file.Imports()
		deps := func(name string) *descriptorpb.FileDescriptorProto {
			for i := range imports.Len() {
				if imp := imports.Get(i); imp.Path() == name {
					return protoutil.ProtoFromFileDescriptor(imp.FileDescriptor)
				}
			}
			return nil
		}
		add(protoutil.ProtoFromFileDescriptor(file), deps)
	}
	return req, nil
}

// hasService reports whether a file req generates declares a service.
func hasService(req *pluginpb.CodeGeneratorRequest) bool {
	for _, fd := range req.GetProtoFile() {
		if slices.Contains(req.GetFileToGenerate(), fd.GetName()) && len(fd.GetService()) > 0 {
			return true
		}
	}
	return false
}

// generate runs one plugin on req and writes the files it answers with below out.
func generate(ctx context.Context, plugin string, req *pluginpb.CodeGeneratorRequest, out string) error {
	in, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: marshal request: %w", plugin, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "tool", plugin)
	// The plugin versions pinned in this module's go.mod, whatever the
	// workspace's other modules require.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", plugin, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return fmt.Errorf("%s: read response: %w", plugin, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", plugin, resp.GetError())
	}
	for _, f := range resp.GetFile() {
		if f.GetInsertionPoint() != "" {
			return errors.New(plugin + ": insertion points are not supported")
		}
		path := filepath.Join(out, filepath.FromSlash(f.GetName()))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(f.GetContent()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
