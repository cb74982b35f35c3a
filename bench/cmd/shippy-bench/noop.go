package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/shippy-suite/shippy/bench/baseline"
)

// serveNoopArg, as the first argument, makes shippy-bench serve the no-op
// baselines (serveNoop) instead of measuring.
const serveNoopArg = "serve-noop"

// noopStopTimeout bounds how long the no-op servers' process may take to
// exit once told to.
const noopStopTimeout = 10 * time.Second

// serveNoop serves the two no-op baselines, plain grpc-go and go-micro
// (registered as microNoopName), until ctx ends, and writes their
// addresses to stdout as one line, "PLAIN MICRO", once both listen.
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
	if _, err := fmt.Fprintln(stdout, plain.Addr(), micro.Addr()); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// noopServers is the process serving the no-op baselines.
type noopServers struct {
	cmd       *exec.Cmd
	waited    chan error
	plainAddr string
	microAddr string
}

// startNoopServers starts this program again as the process of serveNoop,
// and returns once it has said where its servers listen.
func startNoopServers(ctx context.Context, stderr io.Writer) (*noopServers, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("no-op servers: find own executable: %w", err)
	}
	cmd := exec.Command(exe, serveNoopArg)
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("no-op servers: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("no-op servers: %w", err)
	}
	n := &noopServers{cmd: cmd, waited: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out) // the pipe stays drained until the process exits
		n.waited <- cmd.Wait()
	}()
	select {
	case line := <-lines:
		addrs := strings.Fields(line)
		if len(addrs) != 2 {
			return nil, errors.Join(fmt.Errorf("no-op servers: said %q, want two addresses", line), n.stop())
		}
		n.plainAddr, n.microAddr = addrs[0], addrs[1]
		return n, nil
	case <-ctx.Done():
		return nil, errors.Join(ctx.Err(), n.stop())
	}
}

// stop ends the process (SIGTERM, then SIGKILL after noopStopTimeout) and
// returns its error, if it failed.
func (n *noopServers) stop() error {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.waited:
		if err != nil {
			return fmt.Errorf("no-op servers: %w", err)
		}
		return nil
	case <-time.After(noopStopTimeout):
		n.cmd.Process.Kill()
		return fmt.Errorf("no-op servers: not stopped %s after SIGTERM; killed", noopStopTimeout)
	}
}
