// Command ferretdb serves the MongoDB wire protocol for Shippy's tests: the
// embeddable FerretDB with its SQLite backend, listening on one loopback
// address and keeping its data in one directory. It makes no other network
// connection (embedded FerretDB has no telemetry) and stops on SIGINT or
// SIGTERM, or, with -stop-on-eof, when its standard input ends.
//
//	ferretdb [-listen-addr 127.0.0.1:0] [-data-dir DIR] [-stop-on-eof] [-log-level warn]
//
// Once it listens, it prints its connection string on one line of stdout,
// for example "mongodb://127.0.0.1:41234/"; with port 0 that line names the
// port it was given. Logs go to stderr.
//
// Without -data-dir it keeps its data in a new temporary directory, removed
// when it stops. -stop-on-eof ties it to the process that started it, which
// holds its standard input: when that process exits, however it exits, the
// server stops too.
//
// It wraps package github.com/FerretDB/FerretDB/ferretdb rather than
// building FerretDB's own command: that command, built from the module
// proxy, panics at start because the proxy's copy lacks the version file
// FerretDB's release build generates.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		stop()
		os.Exit(1)
	}
}

// run serves until ctx is done and returns nil then.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("ferretdb", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listenAddr := flags.String("listen-addr", "127.0.0.1:0", "loopback `host:port` to listen on; port 0 picks a free one")
	dataDir := flags.String("data-dir", "", "existing `directory` of the SQLite databases (default: a temporary one, removed on stop)")
	stopOnEOF := flags.Bool("stop-on-eof", false, "stop when standard input ends")
	logLevel := flags.String("log-level", "warn", "log `level`: debug, info, warn or error")
	if err := flags.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	if err := checkLoopback(*listenAddr); err != nil {
		return fmt.Errorf("-listen-addr: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	dir, err := dataDirectory(*dataDir)
	if err != nil {
		return fmt.Errorf("-data-dir: %w", err)
	}
	if *dataDir == "" {
		defer os.RemoveAll(dir)
	}
	if *stopOnEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			cancel()
		}()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return err
	}
	// New has bound the listener: the address is known and connections
	// queue until Run accepts them.
	if _, err := fmt.Fprintln(stdout, f.MongoDBURI()); err != nil {
		return err
	}
	return f.Run(ctx)
}

// dataDirectory returns the absolute path of dir, which must be a
// directory, or of a new temporary directory when dir is "".
func dataDirectory(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "ferretdb-")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if info, err := os.Stat(abs); err != nil || !info.IsDir() {
		return "", fmt.Errorf("%s is not a directory", abs)
	}
	return abs, nil
}

// checkLoopback refuses an address that is not a literal loopback IP with a
// port, so the server is never reachable from another machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback IP address", host)
	}
	return nil
}
