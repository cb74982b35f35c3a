package platform

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// HealthcheckTimeout bounds one Healthcheck.
const HealthcheckTimeout = 2 * time.Second

// Healthcheck asks the service listening on MICRO_SERVER_ADDRESS (from
// getenv) for its standard gRPC health, overall, and writes the answer to
// stdout. It returns nil only when the service answers SERVING within
// HealthcheckTimeout. It is what a service's "healthcheck" subcommand runs:
// a container healthcheck for images without a shell.
//
// An address without a host (":8080") or with an unspecified one
// ("0.0.0.0:8080", "[::]:8080") is asked on 127.0.0.1. The port must be
// fixed: an unset MICRO_SERVER_ADDRESS, or port 0, is an error naming the
// variable.
func Healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr, err := healthcheckAddress(getenv(EnvServerAddress))
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, HealthcheckTimeout)
	defer cancel()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", addr, err)
	}
	defer conn.Close()
	rsp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", addr, err)
	}
	if st := rsp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("healthcheck %s: %s", addr, st)
	}
	_, err = fmt.Fprintf(stdout, "%s: %s\n", addr, rsp.GetStatus())
	return err
}

// healthcheckAddress is where to reach the service that listens on listen.
func healthcheckAddress(listen string) (string, error) {
	if listen == "" {
		return "", fmt.Errorf("%s is not set: the healthcheck needs the service's port", EnvServerAddress)
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("%s: %q is not host:port", EnvServerAddress, listen)
	}
	if port == "0" {
		return "", fmt.Errorf("%s: %q has port 0 (any free port): the healthcheck needs a fixed port", EnvServerAddress, listen)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
