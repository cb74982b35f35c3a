package main

import (
	"context"
	"errors"

	"go-micro.dev/v5/registry"
	"google.golang.org/grpc"

	"github.com/shippy-suite/shippy/bench/baseline"
	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// newCalls starts the baselines, in a process of their own (see
// serveNoop), and returns the call of every load on st by key, and a
// function that stops the baselines and closes the clients.
func (b *bench) newCalls(ctx context.Context, reg registry.Registry, st *stack) (map[string]callMaker, func() error, error) {
	var closers []func() error
	stop := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (map[string]callMaker, func() error, error) {
		return nil, nil, errors.Join(err, stop())
	}

	noop, err := startNoopServers(ctx)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, noop.stop)
	wctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	if err := discovery.WaitNode(wctx, reg, microNoopName, noop.microAddr, nil); err != nil {
		return fail(err)
	}
	plainConn, err := baseline.Dial(noop.plainAddr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, plainConn.Close)
	microConn, err := baseline.Dial(noop.microAddr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, microConn.Close)
	vesselConn, err := baseline.Dial(st.vessel.addr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, vesselConn.Close)
	consignmentConn, err := baseline.Dial(st.consignment.addr)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, consignmentConn.Close)

	micro := platform.NewClient(reg)
	spec := &vesselpb.Specification{Capacity: benchContainers, MaxWeight: benchWeight}
	// The calls to the services carry the customer's token; those to the
	// no-op baselines none.
	token := st.customer.token
	plainFind := func(conn *grpc.ClientConn, token string) callMaker {
		return func(string) load.Call {
			return func(ctx context.Context, _, _ int) error {
				rsp, err := baseline.FindAvailable(withTokenPlain(ctx, token), conn, spec)
				return checkVessel(rsp, err)
			}
		}
	}
	microFind := func(name, token string) callMaker {
		vessels := vesselpb.NewVesselService(name, micro)
		return func(string) load.Call {
			return func(ctx context.Context, _, _ int) error {
				rsp, err := vessels.FindAvailable(withToken(ctx, token), spec)
				return checkVessel(rsp, err)
			}
		}
	}
	calls := map[string]callMaker{
		report.LoadBaseline:        plainFind(plainConn, ""),
		report.LoadMicroNoop:       microFind(microNoopName, ""),
		report.LoadMicroServerNoop: plainFind(microConn, ""),
		report.LoadVesselPlain:     plainFind(vesselConn, token),
		report.LoadVesselMicro:     microFind(vesselpb.ServiceName, token),
		report.LoadE2EPlain:        createConsignmentPlain(consignmentConn, token),
		report.LoadE2E:             createConsignment(micro, token),
	}
	return calls, stop, nil
}

// checkVessel turns a FindAvailable answer without a vessel into an error.
func checkVessel(rsp *vesselpb.Response, err error) error {
	if err != nil {
		return err
	}
	if rsp.GetVessel().GetId() == "" {
		return errors.New("FindAvailable answered without a vessel")
	}
	return nil
}
