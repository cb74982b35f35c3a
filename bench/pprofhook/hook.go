//go:build benchpprof

// This file is never part of the bench module's own build (the benchpprof
// tag is never set for it). `make bench-profile` adds it to each service's
// main package with `go build -tags benchpprof -overlay`, so profiling
// builds of the services serve net/http/pprof without a change to their
// source. A service built this way serves pprof only when
// SHIPPY_BENCH_PPROF names a listen address; shippy-bench -profile-dir sets
// it to a loopback port and fetches CPU profiles during the end-to-end load.
package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

func init() {
	addr := os.Getenv("SHIPPY_BENCH_PPROF")
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, "bench pprof hook:", err)
		}
	}()
}
