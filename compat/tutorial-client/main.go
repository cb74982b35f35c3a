// Command tutorial-client is the tutorial's consignment CLI as a go-micro v2
// program: a go-micro v2 service with the v2 gRPC client and the v2 default
// (mDNS) registry, built from the tutorial's protos. It proves that clients
// written for the tutorial can still call Shippy's services by name.
//
// Usage: tutorial-client [consignment.json]
//
// It creates the consignment in the file, prints
// "created: <bool> vessel_id: <id>", then lists the consignments (the first
// page, of the server's default size: the tutorial's GetRequest has no
// paging fields) and prints "consignments: <count>". It exits 1 on any
// error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/micro/go-micro/v2"
	"github.com/micro/go-micro/v2/client"
	grpcclient "github.com/micro/go-micro/v2/client/grpc"

	pb "github.com/shippy-suite/shippy/compat/tutorial-client/proto/consignment"
)

const (
	// serviceName is the name the consignment service registers under.
	serviceName = "shippy.service.consignment"
	// defaultFile is the consignment file read when no argument is given.
	defaultFile = "consignment.json"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run creates the consignment in the file args[0] (default defaultFile) and
// lists the consignments, writing both outcomes to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	file := defaultFile
	if len(args) > 0 {
		file = args[0]
	}
	consignment, err := parseFile(file)
	if err != nil {
		return err
	}

	// As the tutorial did, minus service.Init(): it would parse os.Args as
	// go-micro flags.
	service := micro.NewService(
		micro.Client(grpcclient.NewClient()),
		micro.Name("shippy.cli.consignment"),
	)
	c := service.Client()

	created := &pb.Response{}
	if err := call(ctx, c, "ShippingService.CreateConsignment", consignment, created); err != nil {
		return fmt.Errorf("create consignment: %w", err)
	}
	fmt.Fprintf(stdout, "created: %t vessel_id: %s\n", created.GetCreated(), created.GetConsignment().GetVesselId())

	all := &pb.Response{}
	if err := call(ctx, c, "ShippingService.GetConsignments", &pb.GetRequest{}, all); err != nil {
		return fmt.Errorf("get consignments: %w", err)
	}
	fmt.Fprintf(stdout, "consignments: %d\n", len(all.GetConsignments()))
	return nil
}

// call makes one request to serviceName's endpoint, exactly as the v2
// generated stub (protoc-gen-micro v2) does.
func call(ctx context.Context, c client.Client, endpoint string, req, rsp any) error {
	return c.Call(ctx, c.NewRequest(serviceName, endpoint, req), rsp)
}

// parseFile reads a consignment from the JSON file, as the tutorial did
// (with its error checked).
func parseFile(file string) (*pb.Consignment, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read consignment: %w", err)
	}
	var consignment pb.Consignment
	if err := json.Unmarshal(data, &consignment); err != nil {
		return nil, fmt.Errorf("parse consignment %s: %w", file, err)
	}
	return &consignment, nil
}
