// Command shippy-bench measures Shippy end to end on one machine: it starts
// the real service binaries over mDNS inside a private network namespace,
// signs a customer in on the user service, drives CreateConsignment (from a
// plain gRPC and a go-micro caller) and single hops at a fixed concurrency
// with the customer's token, compares them with plain gRPC, times start-up
// and CLI creates and reads memory, then prints a table and writes
// BENCHMARKS.md. `make bench` builds the binaries and runs it;
// run it with -h for its flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "shippy-bench:", err)
		os.Exit(1)
	}
}
