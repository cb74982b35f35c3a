package platform

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// RunFunc is a program's run: it does the program's work with args (the
// command line without the program's name), the environment getenv
// reads, and the output stdout and stderr, until ctx is done, and returns
// nil on success. Only Main exits.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main is the main function of the program named program: it calls run
// with the process's arguments, environment and output, and a context
// that SIGINT or SIGTERM cancels, then exits 0, or 1 after printing run's
// error to stderr.
func Main(program string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, program+":", err)
		os.Exit(1)
	}
}

// EnvVar is an environment variable a program reads, with a one-line help
// for its usage message.
type EnvVar struct {
	Name string
	Help string
}

// envUsage is the help of the platform's variables that a newcomer sets;
// the README's configuration table lists them all.
func envUsage() []EnvVar {
	return []EnvVar{
		{EnvRegistry, "mdns (default) or consul"},
		{EnvRegistryAddress, "registry addresses, comma-separated"},
		{EnvServerAddress, "listen address (default :0, any free port)"},
		{EnvShutdownTimeout, "how long a stop waits for calls in flight (default 15s)"},
		{EnvLogLevel, "debug, info (default), warn or error"},
		{EnvMetricsAddress, "host:port to serve Prometheus metrics on at " + MetricsPath + " (default: none)"},
		{EnvOTLPEndpoint, "OTLP/gRPC collector URL (http://host:4317): export traces (default: off)"},
	}
}

// WriteUsage writes the usage message of the service program to w: its
// command line, then vars (the service's own variables), then the
// platform's.
func WriteUsage(w io.Writer, program string, vars []EnvVar) {
	fmt.Fprintf(w, "usage: %s [healthcheck]\n\n"+
		"healthcheck asks the running service's gRPC health endpoint at %s\n"+
		"and exits 0 only when it is SERVING. Otherwise the service is configured from the environment:\n",
		program, EnvServerAddress)
	for _, v := range slices.Concat(vars, envUsage()) {
		fmt.Fprintf(w, "  %-24s%s\n", v.Name, v.Help)
	}
}

// Run is the run of a service program named program: given arguments, it
// runs the subcommand they name (subcommand, which writes usage, the
// service's own variables, on a bad one). Otherwise it reads the
// service's configuration C with load, whose errors it prefixes with
// "config: ", and serves with it: serve logs to stdout and returns when
// ctx is done, nil on a clean stop. Nothing is started before the
// configuration is read.
func Run[C any](ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer,
	program string, usage []EnvVar, load func(getenv func(string) string) (C, error), serve func(context.Context, C, io.Writer) error) error {
	if len(args) > 0 {
		return subcommand(ctx, args, getenv, stdout, stderr, program, usage)
	}
	cfg, err := load(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return serve(ctx, cfg, stdout)
}

// subcommand runs the command line of a service given arguments, which
// must not be empty (a service given none serves). "healthcheck" alone runs Healthcheck; anything else
// writes the usage (see WriteUsage) to stderr and returns an error naming
// the first argument.
func subcommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, program string, vars []EnvVar) error {
	if len(args) == 1 && args[0] == "healthcheck" {
		return Healthcheck(ctx, getenv, stdout)
	}
	WriteUsage(stderr, program, vars)
	return fmt.Errorf("unexpected argument %q", args[0])
}
