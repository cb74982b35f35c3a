package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/bench/baseline"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// microNoopName is the registry name of the go-micro baseline.
const microNoopName = "shippy.bench.noop"

// serveNoopArg, as the first argument, makes shippy-bench serve the no-op
// baselines (serveNoop) instead of measuring.
const serveNoopArg = "serve-noop"

// noopAddrsPrefix starts the line in which serveNoop says where its
// servers listen.
const noopAddrsPrefix = "no-op servers listening: "

// noopStopTimeout bounds how long the no-op servers' process may take to
// exit once told to.
const noopStopTimeout = 10 * time.Second

// serveNoop serves the two no-op baselines, plain grpc-go and go-micro
// (registered as microNoopName), until ctx ends, and writes their
// addresses to stdout as one line, noopAddrsPrefix then "PLAIN MICRO",
// once both listen.
//
// The bench runs it in a process of its own, as the services run: every
// server measured then runs in a process of its own, and every hop, the
// baselines' too, crosses from one process to another, as a hop between
// two services does.
func serveNoop(ctx context.Context, stdout, stderr io.Writer) (err error) {
	reg, err := newRegistry()
	if err != nil {
		return err
	}
	answer := fleetVessel(0)
	plain, err := baseline.StartGRPC(answer)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, plain.Stop()) }()
	micro, err := baseline.StartMicro(microNoopName, reg, answer, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, micro.Stop()) }()
	if _, err := fmt.Fprintln(stdout, noopAddrsPrefix+plain.Addr(), micro.Addr()); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// noopServers is the process serving the no-op baselines.
type noopServers struct {
	*proc.Process
	plainAddr string
	microAddr string
}

// startNoopServers starts this program again as the process of serveNoop,
// and returns once it has said where its servers listen.
func startNoopServers(ctx context.Context) (*noopServers, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("no-op servers: find own executable: %w", err)
	}
	out, in := io.Pipe()
	p, err := proc.Start(exe, os.Environ(), in, serveNoopArg)
	if err != nil {
		return nil, fmt.Errorf("no-op servers: %w", err)
	}
	go func() {
		<-p.Exited()
		in.Close() // ends the reader below
	}()
	addrs := make(chan []string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), noopAddrsPrefix); ok {
				addrs <- strings.Fields(rest)
				break
			}
		}
		io.Copy(io.Discard, out) // drained until the process exits: it must never block on a write
	}()
	n := &noopServers{Process: p}
	select {
	case a := <-addrs:
		if len(a) != 2 {
			return nil, errors.Join(fmt.Errorf("no-op servers: said %q, want two addresses", a), n.stop())
		}
		n.plainAddr, n.microAddr = a[0], a[1]
		return n, nil
	case <-p.Exited():
		return nil, fmt.Errorf("no-op servers: %w", p.ExitError())
	case <-ctx.Done():
		return nil, errors.Join(ctx.Err(), n.stop())
	}
}

// stop ends the process (SIGTERM, then SIGKILL after noopStopTimeout) and
// returns its error, if it failed.
func (n *noopServers) stop() error {
	return n.Stop(noopStopTimeout)
}
