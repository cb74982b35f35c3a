module github.com/shippy-suite/shippy/tools

go 1.26.0

tool (
	go-micro.dev/v5/cmd/protoc-gen-micro
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	github.com/bufbuild/protocompile v0.14.1
	google.golang.org/protobuf v1.36.12
)

require (
	go-micro.dev/v5 v5.12.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20250324211829-b45e905df463 // indirect
)
