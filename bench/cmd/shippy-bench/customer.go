package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"go-micro.dev/v5/client"
	grpcmetadata "google.golang.org/grpc/metadata"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// tokenTTL is the user service's TOKEN_TTL in the bench: its maximum, so
// that the token the bench signs in with outlasts any run (config.timeout,
// whatever the flags, is shorter).
const tokenTTL = 24 * time.Hour

// The bench's account on the user service of each stack.
const (
	customerName    = "Shippy Bench"
	customerCompany = "shippy-bench"
	customerEmail   = "bench@shippy-bench.example"
)

// customer is the bench's account, signed in: every call the bench makes
// to the consignment and vessel services carries its token.
type customer struct {
	// id is the account's user id: the owner of the consignments it
	// creates.
	id string
	// token is the JWT the user service's Auth answered with.
	token string
}

// signIn registers the bench's account on the user service through c with
// a password of its own, as a customer would (Create), and signs in with it
// (Auth). The user service must be new: an existing account is an error.
func signIn(ctx context.Context, c client.Client) (customer, error) {
	users := userpb.NewUserService(userpb.ServiceName, c)
	password := rand.Text()
	created, err := users.Create(ctx, &userpb.User{
		Name: customerName, Company: customerCompany, Email: customerEmail, Password: password,
	})
	if err != nil {
		return customer{}, fmt.Errorf("register %s: %w", customerEmail, err)
	}
	tok, err := users.Auth(ctx, &userpb.User{Email: customerEmail, Password: password})
	if err != nil {
		return customer{}, fmt.Errorf("sign in as %s: %w", customerEmail, err)
	}
	switch id := created.GetUser().GetId(); {
	case tok.GetToken() == "":
		return customer{}, errors.New("sign in: Auth answered without a token")
	case id == "" || tok.GetUserId() != id:
		return customer{}, fmt.Errorf("sign in: Auth answered for user %q, Create made %q", tok.GetUserId(), id)
	}
	return customer{id: created.GetUser().GetId(), token: tok.GetToken()}, nil
}

// withToken is ctx carrying token on a call through the go-micro client
// (auth.WithToken); with no token, ctx.
func withToken(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return auth.WithToken(ctx, token)
}

// withTokenPlain is ctx carrying token on a call through a plain grpc-go
// client, as a bearer token in the authorization header; with no token,
// ctx.
func withTokenPlain(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return grpcmetadata.AppendToOutgoingContext(ctx, auth.MetadataAuthorization, "Bearer "+token)
}

// checkers finds out which of the services refuse a call without a token:
// a GetConsignments and a FindAvailable are sent without one through c,
// and a 401 answer means the service checks tokens. Any other failure is
// returned.
func checkers(ctx context.Context, c client.Client) (consignmentChecks, vesselChecks bool, err error) {
	refused := func(err error) (bool, error) {
		switch {
		case err == nil:
			return false, nil
		case rpcerr.Classify(err).Reason == rpcerr.Unauthenticated:
			return true, nil
		}
		return false, err
	}
	_, err = consignmentpb.NewShippingService(consignmentpb.ServiceName, c).GetConsignments(ctx, &consignmentpb.GetRequest{Limit: 1})
	if consignmentChecks, err = refused(err); err != nil {
		return false, false, fmt.Errorf("GetConsignments without a token: %w", err)
	}
	_, err = vesselpb.NewVesselService(vesselpb.ServiceName, c).FindAvailable(ctx, &vesselpb.Specification{Capacity: benchContainers, MaxWeight: benchWeight})
	if vesselChecks, err = refused(err); err != nil {
		return false, false, fmt.Errorf("FindAvailable without a token: %w", err)
	}
	return consignmentChecks, vesselChecks, nil
}

// authDescription says, for the report, how the calls are authenticated,
// given which services were found to refuse a call without a token.
func authDescription(consignmentChecks, vesselChecks bool) string {
	var checking, open []string
	for _, s := range []struct {
		name   string
		checks bool
	}{{"the consignment service", consignmentChecks}, {"the vessel service", vesselChecks}} {
		if s.checks {
			checking = append(checking, s.name)
		} else {
			open = append(open, s.name)
		}
	}
	d := "every call to the consignment and vessel services carries the token of a customer that the bench " +
		"registered and signed in on the user service (Create, then Auth) when it started them"
	if len(checking) > 0 {
		d += "; " + strings.Join(checking, " and ") + " verified it on every call (an Ed25519 JWT, with the user " +
			"service's public keys from its registry entry: no call to the user service)"
	}
	if len(open) > 0 {
		d += "; " + strings.Join(open, " and ") + " answered a call without a token, so did not check it"
	}
	return d + ". The no-op baselines take no token"
}
