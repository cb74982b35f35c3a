// Command smtpsink is the mail server of make run, make dev and compose: an
// SMTP server (package smtpsink) that keeps the last mails it accepts in
// memory and shows them over HTTP, delivering nothing. It is for looking
// at what the notification service sends, never for production.
//
// Usage: smtpsink [-smtp 127.0.0.1:1025] [-http 127.0.0.1:8025] [-dir DIR]
//
// With -dir, each mail is also written to DIR as a file NNNNNN.eml, which
// any mail program opens: the way to read the mails of a suite whose
// network the browser cannot reach (make run and make dev in a private
// network namespace).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/shippy-suite/shippy/testenv/smtpsink"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smtpsink:", err)
		os.Exit(1)
	}
}

// run serves SMTP and the inbox on the addresses args give until ctx is
// done, logging to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("smtpsink", flag.ContinueOnError)
	smtpAddr := fs.String("smtp", "127.0.0.1:1025", "SMTP listen address")
	httpAddr := fs.String("http", "127.0.0.1:8025", "HTTP listen address of the inbox")
	dir := fs.String("dir", "", "directory to write each mail to as a .eml file too (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	opts := smtpsink.Options{}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return fmt.Errorf("dir: %w", err)
		}
		opts.OnMessage = saveTo(*dir, logger)
	}
	sink := smtpsink.New(opts)
	smtpLn, err := net.Listen("tcp", *smtpAddr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	httpLn, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		smtpLn.Close()
		return fmt.Errorf("http: %w", err)
	}
	web := &http.Server{Handler: sink, ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 2)
	go func() { errs <- sink.Serve(smtpLn) }()
	go func() {
		if err := web.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
			errs <- err
			return
		}
		errs <- nil
	}()
	logger.Info("smtpsink serving", "smtp", smtpLn.Addr().String(), "inbox", "http://"+httpLn.Addr().String()+"/")
	var first error
	select {
	case <-ctx.Done():
	case first = <-errs:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(first, sink.Close(), web.Shutdown(shutdown))
}

// saveTo returns an OnMessage that writes each mail to dir as NNNNNN.eml,
// numbered on from the files there, and logs it.
func saveTo(dir string, logger *slog.Logger) func(smtpsink.Message) error {
	var mu sync.Mutex
	n := 0
	if entries, err := os.ReadDir(dir); err == nil {
		n = len(entries)
	}
	return func(m smtpsink.Message) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		path := filepath.Join(dir, fmt.Sprintf("%06d.eml", n))
		if err := os.WriteFile(path, m.Data, 0o644); err != nil {
			return err
		}
		logger.Info("mail received", "from", m.From, "to", m.To, "file", path)
		return nil
	}
}
