package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"go-micro.dev/v5/client"
	"google.golang.org/grpc"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

// createConsignmentMethod is the full gRPC method name of the consignment
// service's CreateConsignment, as plain gRPC clients call it.
const createConsignmentMethod = "/consignment.ShippingService/CreateConsignment"

// createConsignment is the end-to-end call: one CreateConsignment through
// the go-micro client, as the CLI makes it, carrying token, with an id
// unique in the run.
func createConsignment(c client.Client, token string) callMaker {
	shipping := consignmentpb.NewShippingService(consignmentpb.ServiceName, c)
	return newCreates("bench", func(ctx context.Context, req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
		return shipping.CreateConsignment(withToken(ctx, token), req)
	})
}

// createConsignmentPlain is createConsignment made by a plain grpc-go
// client on conn, a connection to the consignment service's address.
func createConsignmentPlain(conn *grpc.ClientConn, token string) callMaker {
	return newCreates("bench-plain", func(ctx context.Context, req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
		rsp := new(consignmentpb.Response)
		if err := conn.Invoke(withTokenPlain(ctx, token), createConsignmentMethod, req, rsp); err != nil {
			return nil, err
		}
		return rsp, nil
	})
}

// newCreates returns the calls that send the bench's consignment through
// create, each with an id that starts with idPrefix, unique in the run as
// long as each load has its own prefix; an answer without a booking is an
// error.
func newCreates(idPrefix string, create func(context.Context, *consignmentpb.Consignment) (*consignmentpb.Response, error)) callMaker {
	containers := make([]*consignmentpb.Container, benchContainers)
	for i := range containers {
		containers[i] = &consignmentpb.Container{
			CustomerId: fmt.Sprintf("cust%03d", i+1),
			Origin:     "Manchester, United Kingdom",
			UserId:     "user001",
		}
	}
	return func(phase string) load.Call {
		return func(ctx context.Context, worker, seq int) error {
			rsp, err := create(ctx, &consignmentpb.Consignment{
				Id:          fmt.Sprintf("%s-%s-%d-%d", idPrefix, phase, worker, seq),
				Description: "shippy-bench",
				Weight:      benchWeight,
				Containers:  containers,
			})
			if err != nil {
				return err
			}
			if !rsp.GetCreated() || rsp.GetConsignment().GetVesselId() == "" {
				return errors.New("CreateConsignment answered without a booking")
			}
			return nil
		}
	}
}

// measureTmpfs runs the end-to-end load once more on services whose data
// directories are on a tmpfs, where fsync costs nothing: the difference to
// the durable run is what the disk costs. It needs the main stack stopped
// (one instance of each service in the registry).
func (b *bench) measureTmpfs(ctx context.Context) (err error) {
	if ok, why := isTmpfs(b.cfg.tmpfs); !ok {
		b.logf("no end-to-end run on a tmpfs: %s", why)
		return nil
	}
	root, err := os.MkdirTemp(b.cfg.tmpfs, "shippy-bench-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(root)) }()
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	pprofAddrs := make(map[string]string)
	st, err := b.startStack(ctx, reg, root, "tmpfs-", pprofAddrs, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.stop()) }()
	newCall := createConsignment(platform.NewClient(reg), st.customer.token)
	if err := b.warmUp(ctx, report.LoadE2ETmpfs, newCall); err != nil {
		return fmt.Errorf("%s: warm-up: %w", tmpfsTitle, err)
	}
	res, err := b.measure(ctx, report.LoadE2ETmpfs, newCall("measure"), b.cfg.duration, pprofAddrs)
	if err != nil {
		return fmt.Errorf("%s: %w", tmpfsTitle, err)
	}
	if res.Calls == 0 {
		return fmt.Errorf("%s: no call succeeded: %s", tmpfsTitle, res.ErrorSummary())
	}
	b.report.Loads = append(b.report.Loads, report.Load{Key: report.LoadE2ETmpfs, Title: tmpfsTitle, Result: res})
	return nil
}

const tmpfsTitle = "CreateConsignment end to end, go-micro client, data on tmpfs (not durable)"

// tmpfsMagic is the file system type statfs(2) reports for a tmpfs.
const tmpfsMagic = 0x01021994

// isTmpfs reports whether dir is on a tmpfs, and says why not.
func isTmpfs(dir string) (bool, string) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return false, err.Error()
	}
	if fs.Type != tmpfsMagic {
		return false, dir + " is not a tmpfs"
	}
	return true, ""
}
