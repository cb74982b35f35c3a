// Command shippy-service-consignment is the consignment service: it books
// consignments onto vessels of the vessel service and keeps them. It is
// configured from the environment; see run and loadConfig.
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
		fmt.Fprintln(os.Stderr, "shippy-service-consignment:", err)
		os.Exit(1)
	}
}
