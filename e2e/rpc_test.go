package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/codec/bytes"
	microerrors "go-micro.dev/v5/errors"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// rpcTimeout bounds one call of the tests' go-micro client, its retries
// included: long enough for hundreds of concurrent creates on 2 shared
// cores with the race detector, which every durable commit queues behind.
const rpcTimeout = 60 * time.Second

// listPageSize is the page size listConsignments asks for: small enough
// that a long list takes several pages.
const listPageSize = 250

// rpcClient is a go-micro client of both services, made as the suite's
// programs make theirs (platform.NewClient over platform.NewRegistry), that
// sends one token with every call. Tests use it where the CLI is too slow
// (hundreds of creates) or would refuse to send the request (bad input as
// raw protobuf, no token or a bad one).
type rpcClient struct {
	micro        client.Client
	consignments consignmentpb.ShippingService
	vessels      vesselpb.VesselService
	// token is the token every call carries; "" sends none.
	token string
	// owner is the user id token is for: the owner_id of the consignments
	// this client creates.
	owner string
	// operator is an operator's token, with which checkBooks lists every
	// consignment, whoever owns it.
	operator string
}

// rpc returns a new client over the stack's registry that calls as the
// stack's customer. Each client has a cache of the registry of its own: one
// made after a restart finds the instances running then, whatever the
// instances before it left behind.
func (st *stack) rpc(t *testing.T) *rpcClient {
	t.Helper()
	micro := newMicroClient(t, st.vessel.env, consignmentpb.ServiceName, vesselpb.ServiceName)
	return &rpcClient{
		micro:        micro,
		consignments: consignmentpb.NewShippingService(consignmentpb.ServiceName, micro),
		vessels:      vesselpb.NewVesselService(vesselpb.ServiceName, micro),
		token:        st.token,
		owner:        st.userID,
		operator:     st.operatorToken(t),
	}
}

// as returns a client that shares c's connections and calls with token
// ("" for none), for the user owner.
func (c *rpcClient) as(token, owner string) *rpcClient {
	as := *c
	as.token, as.owner = token, owner
	return &as
}

// ctx returns a context for one call of c, bounded by rpcTimeout and
// carrying c's token, and its cancel function.
func (c *rpcClient) ctx() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	return auth.WithToken(ctx, c.token), cancel
}

// newMicroClient returns a go-micro client made as the suite's programs
// make theirs (platform.NewClient over platform.NewRegistry), over the
// registry the programs' environment env names, with rpcTimeout per call.
// It is closed when t ends.
//
// It looks each of the services up once before any call. Concurrent first
// calls race in go-micro v5.12.0's registry cache (cache.get copies, outside
// its lock, the slice that its watcher updates in place), which the race
// detector reports. A service that is down is looked up again by its first
// call.
func newMicroClient(t *testing.T, env []string, services ...string) client.Client {
	t.Helper()
	reg := registryOf(t, env)
	micro := platform.NewClient(reg, client.RequestTimeout(rpcTimeout))
	t.Cleanup(func() { micro.Options().Selector.Close() })
	for _, name := range services {
		micro.Options().Selector.Select(name)
	}
	return micro
}

// create sends req to CreateConsignment and returns the answer.
func (c *rpcClient) create(req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	return c.consignments.CreateConsignment(ctx, req)
}

// createRaw sends data, as it is, as the body of a CreateConsignment call:
// a request no generated client would encode.
func (c *rpcClient) createRaw(data []byte) error {
	ctx, cancel := c.ctx()
	defer cancel()
	req := c.micro.NewRequest(consignmentpb.ServiceName, "ShippingService.CreateConsignment", &bytes.Frame{Data: data})
	return c.micro.Call(ctx, req, new(consignmentpb.Response))
}

// cancel sends CancelConsignment for the id and returns the answer.
func (c *rpcClient) cancel(id string) (*consignmentpb.CancelResponse, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	return c.consignments.CancelConsignment(ctx, &consignmentpb.CancelRequest{Id: id})
}

// listConsignments returns every consignment the consignment service lists
// to c's caller (a customer's own, or an operator's every one), page by
// page, or fails t.
func (c *rpcClient) listConsignments(t *testing.T) []*consignmentpb.Consignment {
	t.Helper()
	ctx, cancel := c.ctx()
	defer cancel()
	var all []*consignmentpb.Consignment
	token := ""
	for page := 1; ; page++ {
		rsp, err := c.consignments.GetConsignments(ctx, &consignmentpb.GetRequest{Limit: listPageSize, PageToken: token})
		if err != nil {
			t.Fatalf("GetConsignments, page %d: %v", page, err)
		}
		all = append(all, rsp.GetConsignments()...)
		if token = rsp.GetNextPageToken(); token == "" {
			return all
		}
	}
}

// listAll returns every consignment, whoever owns it: listConsignments
// with c's operator token.
func (c *rpcClient) listAll(t *testing.T) []*consignmentpb.Consignment {
	t.Helper()
	return c.as(c.operator, "").listConsignments(t)
}

// listVessels returns the fleet by vessel id, with the room left on each
// vessel, or fails t.
func (c *rpcClient) listVessels(t *testing.T) map[string]*vesselpb.Vessel {
	t.Helper()
	ctx, cancel := c.ctx()
	defer cancel()
	rsp, err := c.vessels.ListVessels(ctx, &vesselpb.ListVesselsRequest{})
	if err != nil {
		t.Fatalf("ListVessels: %v", err)
	}
	fleet := make(map[string]*vesselpb.Vessel, len(rsp.GetVessels()))
	for _, v := range rsp.GetVessels() {
		fleet[v.GetId()] = v
	}
	return fleet
}

// newRequest returns a valid CreateConsignment request with the id, of n
// containers weighing weight kg in all.
func newRequest(id string, n int, weight int32) *consignmentpb.Consignment {
	req := &consignmentpb.Consignment{
		Id:          id,
		Description: fmt.Sprintf("e2e: %d containers, %d kg", n, weight),
		Weight:      weight,
	}
	for i := range n {
		req.Containers = append(req.Containers, &consignmentpb.Container{
			Id:         fmt.Sprintf("%s-box%d", id, i+1),
			CustomerId: fmt.Sprintf("cust%03d", i+1),
			Origin:     fmt.Sprintf("Port %d", i+1),
			UserId:     "user001",
		})
	}
	return req
}

// errorCode is the go-micro code of err from a call: 400, 412, 503, …; 0
// for nil or an error that carries none.
func errorCode(err error) int32 {
	if err == nil {
		return 0
	}
	return microerrors.FromError(err).Code
}
