// Command shippy-cli-consignment submits a consignment, read from a JSON file,
// to the consignment service and lists the consignments the service holds;
// it registers accounts with the user service and signs in, keeping the
// token every call carries. Run it with --help for its usage and exit codes.
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
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/codes"

	"github.com/shippy-suite/shippy/domain/consignment"
	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// run runs the command line args (without the program name), reading its
// configuration through getenv, a password from stdin, and printing its
// output to stdout. On a failure it writes the error, one line, to stderr
// and returns it; exitCode gives the exit code for it.
//
// The input file is read and checked before anything else, so bad input is
// reported without a registry lookup, and nothing is sent.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	p := &program{
		getenv:      getenv,
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		newRegistry: platform.NewRegistry,
		now:         time.Now,
	}
	return p.run(ctx, args)
}

// program is one run of the CLI: its environment, its streams, and how it
// finds the services.
type program struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// newRegistry returns the registry the configuration names:
	// platform.NewRegistry, or a test's.
	newRegistry func(platform.Config) (registry.Registry, error)
	now         func() time.Time
}

// run is the function run, for p.
func (p *program) run(ctx context.Context, args []string) error {
	err := p.runCommand(ctx, args)
	if err != nil {
		// One line, whatever a detail from the service holds.
		fmt.Fprintln(p.stderr, strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error()))
	}
	return err
}

// traceFlushTimeout bounds sending the command's spans before the CLI exits.
const traceFlushTimeout = 3 * time.Second

func (p *program) runCommand(ctx context.Context, args []string) (err error) {
	opts, err := parseArgs(args)
	if err != nil {
		return err
	}
	if opts.help {
		_, err := io.WriteString(p.stdout, usage())
		return err
	}
	var c consignment.Consignment
	if opts.action == actConsignments && opts.create {
		if c, err = decodeFile(opts.file); err != nil {
			return err
		}
	}

	tokens := newTokenFile(p.getenv)
	cmd := &commands{
		out:       p.stdout,
		notes:     p.stderr,
		asJSON:    opts.asJSON,
		timeout:   opts.timeout,
		passwords: newPasswords(p.stdin, p.stderr),
		tokens:    tokens,
		now:       p.now,
	}
	if opts.action == actLogout {
		// Only the source matters here: logout calls no service.
		cmd.tokenSource = tokenSourceOf(opts.token, p.getenv)
		return cmd.logout()
	}
	tok, err := resolveToken(opts.token, p.getenv, tokens)
	if err != nil {
		return err
	}
	cmd.tokenSource = tok.source
	// Nothing the command prints may hold the token, whatever a service
	// answers.
	defer func() { err = redact(err, tok.value) }()

	cfg, err := platform.LoadConfig(p.getenv)
	if err != nil {
		return withCode(exitUsage, err)
	}
	reg, err := p.newRegistry(cfg)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	cmd.registry = describeRegistry(cfg)

	// With OTEL_EXPORTER_OTLP_ENDPOINT set, the command is the root span of
	// a trace that its calls carry on to the services. Export problems are
	// warnings on stderr; they do not change the exit code.
	logger := slog.New(slog.NewTextHandler(p.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
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
			span.SetStatus(codes.Error, redact(err, tok.value).Error())
		}
		span.End()
	}()

	cl := platform.NewClient(reg, client.WrapCall(tracing.WrapCall))
	cmd.svc = consignmentpb.NewShippingService(consignmentpb.ServiceName, cl)
	cmd.users = userpb.NewUserService(userpb.ServiceName, cl)
	// Every call of the command carries the token.
	ctx = auth.WithToken(ctx, tok.value)
	switch opts.action {
	case actUserCreate:
		return cmd.userCreate(ctx, newUser{Name: opts.name, Email: opts.email, Company: opts.company})
	case actLogin:
		return cmd.login(ctx, opts.email)
	case actCancel:
		return cmd.cancel(ctx, opts.id)
	}
	return cmd.run(ctx, opts, c)
}

// tokenSourceOf is where the token of the command would come from, without
// reading the stored file: sourceFlag, sourceEnv, or "".
func tokenSourceOf(flagValue string, getenv func(string) string) string {
	switch {
	case flagValue != "":
		return sourceFlag
	case strings.TrimSpace(getenv(EnvToken)) != "":
		return sourceEnv
	}
	return ""
}

// commandName names the command opts run, for its span: "create", "list",
// "create+list", "cancel", "user create", "login" or "logout".
func commandName(opts options) string {
	switch opts.action {
	case actCancel:
		return "cancel"
	case actUserCreate:
		return "user create"
	case actLogin:
		return "login"
	case actLogout:
		return "logout"
	}
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
