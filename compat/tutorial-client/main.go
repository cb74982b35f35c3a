// Command tutorial-client is the tutorial's consignment and user CLIs as a
// go-micro v2 program: a go-micro v2 service with the v2 gRPC client and the
// v2 default (mDNS) registry, built from the tutorial's protos. It proves
// that clients written for the tutorial can still call Shippy's services by
// name.
//
// Usage:
//
//	tutorial-client [consignment.json [token]]
//	tutorial-client user NAME EMAIL PASSWORD COMPANY
//	tutorial-client auth EMAIL PASSWORD
//
// The first form, the default, is the consignment CLI: it creates the
// consignment in the file, prints "created: <bool> vessel_id: <id>", then
// lists the consignments (the first page, of the server's default size: the
// tutorial's GetRequest has no paging fields) and prints
// "consignments: <count>". A token, when given, is sent with both calls in
// the metadata key "token", as the tutorial's part 4 CLI sent it.
//
// user is the user CLI: it registers the user, printing
// "created: <id> password: <n> bytes" (the length of the password the
// service answered with, which must be 0), lists the users without a token
// as the tutorial's CLI did, printing "listed: <count>", then signs in as
// auth does.
// auth signs in (Auth), printing "token: <n> bytes" (never the token), checks
// the token (ValidateToken), printing "valid: <bool>", and lists the users
// with the token in the metadata key "token", printing "users: <count>".
//
// It exits 1 on any error, printing the step that failed and the go-micro
// error as JSON ("create user: {"id":...,"code":409,...}").
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
	"github.com/micro/go-micro/v2/metadata"

	pb "github.com/shippy-suite/shippy/compat/tutorial-client/proto/consignment"
	userpb "github.com/shippy-suite/shippy/compat/tutorial-client/proto/user"
)

const (
	// consignmentService and userService are the names the services
	// register under.
	consignmentService = "shippy.service.consignment"
	userService        = "shippy.service.user"
	// defaultFile is the consignment file read when no argument is given.
	defaultFile = "consignment.json"
	// tokenKey is the metadata key the tutorial's part 4 clients sent their
	// token in: the bare JWT.
	tokenKey = "token"
)

// The commands other than the default one, named by the first argument.
const (
	cmdUser = "user"
	cmdAuth = "auth"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run runs the command args name (see the package doc), writing its
// outcomes to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	// As the tutorial did, minus service.Init(): it would parse os.Args as
	// go-micro flags.
	service := micro.NewService(
		micro.Client(grpcclient.NewClient()),
		micro.Name("shippy.cli.consignment"),
	)
	c := service.Client()

	if len(args) > 0 {
		switch args[0] {
		case cmdUser:
			if len(args) != 5 {
				return fmt.Errorf("usage: tutorial-client %s NAME EMAIL PASSWORD COMPANY", cmdUser)
			}
			u := &userpb.User{Name: args[1], Email: args[2], Password: args[3], Company: args[4]}
			return createUser(ctx, c, u, stdout)
		case cmdAuth:
			if len(args) != 3 {
				return fmt.Errorf("usage: tutorial-client %s EMAIL PASSWORD", cmdAuth)
			}
			return signIn(ctx, c, args[1], args[2], stdout)
		}
	}
	if len(args) > 2 {
		return fmt.Errorf("usage: tutorial-client [consignment.json [token]]")
	}
	file := defaultFile
	if len(args) > 0 {
		file = args[0]
	}
	if len(args) > 1 {
		ctx = metadata.NewContext(ctx, metadata.Metadata{tokenKey: args[1]})
	}
	return consign(ctx, c, file, stdout)
}

// consign creates the consignment in file and lists the consignments.
func consign(ctx context.Context, c client.Client, file string, stdout io.Writer) error {
	consignment, err := parseFile(file)
	if err != nil {
		return err
	}
	created := &pb.Response{}
	if err := call(ctx, c, consignmentService, "ShippingService.CreateConsignment", consignment, created); err != nil {
		return fmt.Errorf("create consignment: %w", err)
	}
	fmt.Fprintf(stdout, "created: %t vessel_id: %s\n", created.GetCreated(), created.GetConsignment().GetVesselId())

	all := &pb.Response{}
	if err := call(ctx, c, consignmentService, "ShippingService.GetConsignments", &pb.GetRequest{}, all); err != nil {
		return fmt.Errorf("get consignments: %w", err)
	}
	fmt.Fprintf(stdout, "consignments: %d\n", len(all.GetConsignments()))
	return nil
}

// createUser registers u and signs in with its email and password, as the
// tutorial's user CLI did.
func createUser(ctx context.Context, c client.Client, u *userpb.User, stdout io.Writer) error {
	created := &userpb.Response{}
	if err := call(ctx, c, userService, "UserService.Create", u, created); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(stdout, "created: %s password: %d bytes\n", created.GetUser().GetId(), len(created.GetUser().GetPassword()))
	listed := &userpb.Response{}
	if err := call(ctx, c, userService, "UserService.GetAll", &userpb.Request{}, listed); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	fmt.Fprintf(stdout, "listed: %d\n", len(listed.GetUsers()))
	return signIn(ctx, c, u.GetEmail(), u.GetPassword(), stdout)
}

// signIn gets a token for email and password, checks it, and lists the
// users with it, as the tutorial's part 4 clients sent a token.
func signIn(ctx context.Context, c client.Client, email, password string, stdout io.Writer) error {
	token := &userpb.Token{}
	if err := call(ctx, c, userService, "UserService.Auth", &userpb.User{Email: email, Password: password}, token); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	fmt.Fprintf(stdout, "token: %d bytes\n", len(token.GetToken()))

	checked := &userpb.Token{}
	if err := call(ctx, c, userService, "UserService.ValidateToken", &userpb.Token{Token: token.GetToken()}, checked); err != nil {
		return fmt.Errorf("validate token: %w", err)
	}
	fmt.Fprintf(stdout, "valid: %t\n", checked.GetValid())

	users := &userpb.Response{}
	ctx = metadata.NewContext(ctx, metadata.Metadata{tokenKey: token.GetToken()})
	if err := call(ctx, c, userService, "UserService.GetAll", &userpb.Request{}, users); err != nil {
		return fmt.Errorf("get users: %w", err)
	}
	fmt.Fprintf(stdout, "users: %d\n", len(users.GetUsers()))
	return nil
}

// call makes one request to service's endpoint, exactly as the v2
// generated stub (protoc-gen-micro v2) does.
func call(ctx context.Context, c client.Client, service, endpoint string, req, rsp any) error {
	return c.Call(ctx, c.NewRequest(service, endpoint, req), rsp)
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
