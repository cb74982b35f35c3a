// Command shippy-service-vessel is the vessel service: it keeps the fleet
// and the room left on each vessel, and books that room for consignments.
// It is configured from the environment; see run and loadConfig.
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
		fmt.Fprintln(os.Stderr, "shippy-service-vessel:", err)
		os.Exit(1)
	}
}
