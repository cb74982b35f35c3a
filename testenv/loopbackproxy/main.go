// Command loopbackproxy makes a server that listens on loopback only
// reachable on another address: it starts the server's command, forwards
// every connection it accepts on -listen to the server's address -to, and
// on SIGINT or SIGTERM stops accepting, passes SIGTERM on to the server and
// exits as the server exits.
//
//	loopbackproxy -listen :27017 -to 127.0.0.1:27018 -- /ferretdb -listen-addr 127.0.0.1:27018 -data-dir /data/db
//
// The FerretDB test image of the compose tests runs bin/ferretdb behind it:
// testenv/ferretdb refuses any address but a loopback one, so that the
// tests on a shared machine never expose it, and in a container the
// compose network must reach it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// dialTimeout bounds the connection to the server for each accepted one.
const dialTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopbackproxy:", err)
		os.Exit(1)
	}
}

// run forwards connections until ctx is done, then stops the server and
// returns nil when it exits 0. A server that exits by itself is an error.
// The server's output goes to stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("loopbackproxy", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "", "`address` to accept connections on (required)")
	to := flags.String("to", "", "`address` of the server (required)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	command := flags.Args()
	switch {
	case *listen == "":
		return errors.New("-listen: required")
	case *to == "":
		return errors.New("-to: required")
	case len(command) == 0:
		return errors.New("no server command after the flags")
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	server := exec.Command(command[0], command[1:]...)
	server.Stdout, server.Stderr = stdout, stderr
	if err := server.Start(); err != nil {
		ln.Close()
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()

	var conns sync.WaitGroup
	conns.Go(func() { accept(ln, *to, stderr, &conns) })
	err = stop(ctx, server, exited)
	// The server is gone: its side of every connection is closed, so each
	// forward ends too.
	ln.Close()
	conns.Wait()
	return err
}

// stop waits until ctx is done, then stops the server with SIGTERM, and
// returns how it exited; or returns an error when it exits first.
func stop(ctx context.Context, server *exec.Cmd, exited <-chan error) error {
	name := server.Args[0]
	select {
	case err := <-exited:
		return fmt.Errorf("%s exited by itself: %v", name, err)
	case <-ctx.Done():
	}
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if err := <-exited; err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// accept forwards each connection ln accepts to the address to, until ln is
// closed. Failures are written to logw.
func accept(ln net.Listener, to string, logw io.Writer, conns *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns.Go(func() {
			if err := forward(c, to); err != nil {
				fmt.Fprintln(logw, "loopbackproxy:", err)
			}
		})
	}
}

// forward copies c to a new connection to the address to and back, until
// either side ends, then closes both.
func forward(c net.Conn, to string) error {
	defer c.Close()
	s, err := net.DialTimeout("tcp", to, dialTimeout)
	if err != nil {
		return err
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	<-done
	return nil
}
