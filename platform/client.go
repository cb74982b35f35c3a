package platform

import (
	"context"
	"time"

	"go-micro.dev/v5/client"
	grpcclient "go-micro.dev/v5/client/grpc"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"

	"github.com/shippy-suite/shippy/platform/rpcerr"
)

// Client defaults, set on purpose: go-micro's own are a 30 s timeout and 5
// retries.
const (
	DefaultRequestTimeout = 10 * time.Second
	DefaultRetries        = 2
)

// NewClient returns a go-micro gRPC client that finds services in reg. Every
// call has a deadline (DefaultRequestTimeout unless the context or opts set
// one) and is retried, on another instance where there is one, only when it
// failed as unavailable (see RetryUnavailable). opts are applied last.
func NewClient(reg registry.Registry, opts ...client.Option) client.Client {
	base := []client.Option{
		// A selector of our own: client.Registry alone would re-point
		// go-micro's global default selector.
		client.Selector(selector.NewSelector(selector.Registry(reg))),
		client.Registry(reg),
		client.RequestTimeout(DefaultRequestTimeout),
		client.Retries(DefaultRetries),
		client.Retry(RetryUnavailable),
	}
	return grpcclient.NewClient(append(base, opts...)...)
}

// RetryUnavailable is a go-micro retry policy that retries a call only when
// rpcerr.Classify reads its error as rpcerr.Unavailable (a 503: the instance
// refused the call before doing any work, as it does while draining) or
// rpcerr.Unreachable (no connection to an instance could be made). Such a
// call is safe to repeat whatever its method. Every other error is final.
func RetryUnavailable(ctx context.Context, _ client.Request, _ int, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	switch rpcerr.Classify(err).Reason {
	case rpcerr.Unavailable, rpcerr.Unreachable:
		return true, nil
	}
	return false, nil
}
