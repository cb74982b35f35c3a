// Command shippy-cli-consignment submits a consignment, read from a JSON file,
// to the consignment service and lists the consignments the service holds.
// Run it with --help for its usage and exit codes.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go-micro.dev/v5/client"
	"go.opentelemetry.io/otel/codes"

	"github.com/shippy-suite/shippy/domain/consignment"
	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// run runs the command line args (without the program name), reading its
// configuration through getenv and printing its output to stdout. On a
// failure it writes the error, one line, to stderr and returns it; exitCode
// gives the exit code for it.
//
// The input file is read and checked before anything else, so bad input is
// reported without a registry lookup, and nothing is sent.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdout, stderr)
	if err != nil {
		// One line, whatever a detail from the service holds.
		fmt.Fprintln(stderr, strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error()))
	}
	return err
}

// traceFlushTimeout bounds sending the command's spans before the CLI exits.
const traceFlushTimeout = 3 * time.Second

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	opts, err := parseArgs(args)
	if err != nil {
		return err
	}
	if opts.help {
		_, err := io.WriteString(stdout, usage())
		return err
	}
	var c consignment.Consignment
	if opts.create {
		if c, err = decodeFile(opts.file); err != nil {
			return err
		}
	}

	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return withCode(exitUsage, err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}

	// With OTEL_EXPORTER_OTLP_ENDPOINT set, the command is the root span of
	// a trace that its calls carry on to the services. Export problems are
	// warnings on stderr; they do not change the exit code.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tracing, err := platform.NewTracing(ctx, progName, cfg, logger)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceFlushTimeout)
		defer cancel()
		if err := tracing.Shutdown(ctx); err != nil {
			logger.Warn("trace not sent", "error", err)
		}
	}()
	ctx, span := tracing.TracerProvider().Tracer(progName).Start(ctx, commandName(opts))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()

	cmd := &commands{
		svc:      consignmentpb.NewShippingService(consignmentpb.ServiceName, platform.NewClient(reg, client.WrapCall(tracing.WrapCall))),
		out:      stdout,
		asJSON:   opts.asJSON,
		timeout:  opts.timeout,
		registry: describeRegistry(cfg),
	}
	return cmd.run(ctx, opts, c)
}

// commandName names the command opts run, for its span: "create", "list",
// or "create+list".
func commandName(opts options) string {
	var parts []string
	if opts.create {
		parts = append(parts, "create")
	}
	if opts.list {
		parts = append(parts, "list")
	}
	return strings.Join(parts, "+")
}

// describeRegistry says which registry cfg selects, in the terms of the
// environment that selected it: "MICRO_REGISTRY=consul (127.0.0.1:8500)".
func describeRegistry(cfg platform.Config) string {
	s := platform.EnvRegistry + "=" + cfg.Registry
	if len(cfg.RegistryAddresses) > 0 {
		s += " (" + strings.Join(cfg.RegistryAddresses, ",") + ")"
	}
	return s
}
