package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	gomicro "go-micro.dev/v5"
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"go-micro.dev/v5/store"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/shippy-suite/shippy/platform/internal/micro"
)

// stopHookTimeout bounds each OnStop hook.
const stopHookTimeout = 10 * time.Second

// traceFlushTimeout bounds sending the last spans when a service stops.
const traceFlushTimeout = 5 * time.Second

// Service is one go-micro service on the gRPC server and client, with a
// shutdown that deregisters first, then finishes in-flight calls. Its gRPC
// port also serves the standard health service (grpc.health.v1) and server
// reflection, so grpc_health_probe, Kubernetes and Consul gRPC checks and
// grpcurl work on it unchanged.
//
// With cfg.MetricsAddress set, it serves Prometheus metrics over HTTP there
// while it runs (see Metrics); with cfg.TracesEndpoint set, each call it
// answers or makes is a span, exported over OTLP (see NewTracing).
type Service struct {
	name   string
	cfg    Config
	logger *slog.Logger
	micro  gomicro.Service
	server server.Server // micro's server, recording handlers for reflection
	drain  *micro.Drainer
	hooks  []func(context.Context) error

	metrics       *prometheus.Registry
	metricsServer atomic.Pointer[metricsServer] // while Run serves metrics
	tracing       *Tracing

	std           *micro.StdServices
	health        *health.Server
	checks        []func(context.Context) error
	checkInterval time.Duration
	checkTimeout  time.Duration
	unhealthy     bool   // the last round of checks failed
	stopChecks    func() // set by startHealth
}

// NewService builds the service name on cfg's registry. It runs until ctx is
// done (see Run). Register handlers on Server() before calling Run. With
// tracing on, the span exporter runs from NewService until Run returns: a
// program that builds a Service runs it.
//
// go-micro keeps package-level defaults that building a service overwrites
// (server.DefaultServer, broker.DefaultBroker): build the services of one
// process one at a time, not concurrently.
func NewService(ctx context.Context, name string, cfg Config, logger *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	reg, err := NewRegistry(cfg)
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	return newService(ctx, name, cfg, logger, reg)
}

// newService is NewService on a registry of the caller's choice.
func newService(ctx context.Context, name string, cfg Config, logger *slog.Logger, reg registry.Registry) (*Service, error) {
	if name == "" {
		return nil, errors.New("new service: empty name")
	}
	if logger == nil {
		return nil, errors.New("new service: nil logger")
	}
	tracing, err := NewTracing(ctx, name, cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	s, err := newServiceWith(ctx, name, cfg, logger, reg, tracing)
	if err != nil {
		return nil, errors.Join(err, tracing.Shutdown(context.Background()))
	}
	return s, nil
}

// newServiceWith is newService with the tracing of the caller's choice, once
// name and logger are checked.
func newServiceWith(ctx context.Context, name string, cfg Config, logger *slog.Logger, reg registry.Registry, tracing *Tracing) (*Service, error) {
	s := &Service{
		name:          name,
		cfg:           cfg,
		logger:        logger.With("service", name),
		drain:         micro.NewDrainer(name),
		std:           micro.NewStdServices(name),
		health:        health.NewServer(),
		checkInterval: DefaultHealthCheckInterval,
		checkTimeout:  DefaultHealthCheckTimeout,
		metrics:       newMetricsRegistry(),
		tracing:       tracing,
	}
	reg = s.drain.Registry(reg)
	s.setHealth(false) // until started
	healthpb.RegisterHealthServer(s.std, s.health)
	reflection.Register(s.std)

	// Handler wrappers run in the order given, the first outermost: the
	// span and the metrics also cover the calls the drain refuses. The
	// tracing wrappers, server and client, are left out when tracing is off
	// (see Tracing).
	mlog := newMicroLogger(s.logger)
	clientOpts := []client.Option{client.WithLogger(mlog)}
	var wrappers []server.HandlerWrapper
	if tracing.Enabled() {
		wrappers = append(wrappers, tracing.WrapHandler)
		clientOpts = append(clientOpts, client.WrapCall(tracing.WrapCall))
	}
	if cfg.MetricsAddress != "" {
		m, err := newRPCMetrics(s.metrics, name)
		if err != nil {
			return nil, fmt.Errorf("new service: %w", err)
		}
		wrappers = append(wrappers, m.wrap)
	}
	wrappers = append(wrappers, s.drain.Wrap)

	opts := []server.Option{
		server.Name(name),
		server.Address(cfg.ServerAddress),
		server.Registry(reg),
		server.RegisterTTL(cfg.RegisterTTL),
		server.RegisterInterval(cfg.RegisterInterval),
		server.RegisterCheck(s.drain.Check),
		server.WithLogger(mlog),
		// Every gRPC server option goes in this one call: each call
		// replaces the options of the last.
		grpcserver.Options(grpc.ChainStreamInterceptor(s.std.Intercept)),
	}
	for _, w := range wrappers {
		opts = append(opts, server.WrapHandler(w))
	}
	srv := grpcserver.NewServer(opts...)
	s.server = &micro.RecordingServer{Server: srv, Std: s.std}
	s.micro = gomicro.NewService(
		gomicro.Server(srv),
		gomicro.Client(NewClient(reg, clientOpts...)),
		// go-micro's default store is process-global; a memory store of
		// our own keeps anything from writing outside the data directory.
		gomicro.Store(store.NewMemoryStore()),
		gomicro.Registry(reg),
		gomicro.Context(ctx),
		gomicro.HandleSignal(false), // the caller's ctx carries the signals
		gomicro.Logger(mlog),
		gomicro.AfterStart(s.started),
		gomicro.BeforeStop(s.beforeStop),
		gomicro.AfterStop(s.afterStop),
	)
	return s, nil
}

// Server is where handlers are registered, before Run.
func (s *Service) Server() server.Server { return s.server }

// Client calls other services through the same registry. Its calls carry
// the trace context of their context (see Tracing.WrapCall).
func (s *Service) Client() client.Client { return s.micro.Client() }

// Metrics is where the service's own Prometheus collectors are registered,
// before Run. Its metrics, with the RPC metrics and the Go runtime and
// process collectors, are served at MetricsPath on cfg.MetricsAddress; with
// no address they are never read.
func (s *Service) Metrics() prometheus.Registerer { return s.metrics }

// MetricsAddress is the address the metrics server listens on, its port
// resolved, once Run has started it; "" before, after, and when metrics are
// off.
func (s *Service) MetricsAddress() string {
	if m := s.metricsServer.Load(); m != nil {
		return m.addr()
	}
	return ""
}

// TracerProvider is the provider of the service's spans, for spans of its
// own (around store calls, say); a no-op one when tracing is off.
func (s *Service) TracerProvider() trace.TracerProvider { return s.tracing.TracerProvider() }

// TracingEnabled reports whether the service records spans: make spans of
// your own only when it does (see Tracing).
func (s *Service) TracingEnabled() bool { return s.tracing.Enabled() }

// OnStop adds fn to run after the drain, in the order added, each with its
// own bounded context: the place to close stores.
func (s *Service) OnStop(fn func(context.Context) error) { s.hooks = append(s.hooks, fn) }

// Run starts the metrics server (when cfg.MetricsAddress is set) and the
// go-micro server, registers it, reports it healthy (SERVING, while its
// CheckHealth checks pass), and blocks until the context given to NewService
// is done. It then reports NOT_SERVING, refuses new calls (503, which
// NewClient's callers retry elsewhere), deregisters, waits for in-flight
// calls for at most ShutdownTimeout, ends health watches, runs the OnStop
// hooks, stops the metrics server, sends the last spans, and returns nil on
// a clean stop. A metrics address that cannot be listened on is an error
// naming METRICS_ADDRESS, before anything else starts. Telemetry that fails
// to stop is logged, and does not fail Run.
func (s *Service) Run() error {
	defer s.flushTraces()
	if s.cfg.MetricsAddress != "" {
		m, err := startMetricsServer(s.cfg.MetricsAddress, s.metrics, s.logger)
		if err != nil {
			return fmt.Errorf("run %s: %w", s.name, err)
		}
		s.metricsServer.Store(m)
		defer s.stopMetrics()
	}
	if err := s.micro.Run(); err != nil {
		return fmt.Errorf("run %s: %w", s.name, err)
	}
	return nil
}

// stopMetrics stops the metrics server that Run started.
func (s *Service) stopMetrics() {
	if err := s.metricsServer.Swap(nil).shutdown(); err != nil {
		s.logger.Warn("metrics server did not stop cleanly", "error", err)
	}
}

// flushTraces sends the spans not exported yet, within traceFlushTimeout.
func (s *Service) flushTraces() {
	ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
	defer cancel()
	if err := s.tracing.Shutdown(ctx); err != nil {
		s.logger.Warn("last spans not sent", "error", err)
	}
}

func (s *Service) started() error {
	s.startHealth()
	attrs := []any{
		"address", s.Server().Options().Address,
		"registry", s.cfg.Registry,
		"grpc_services", s.std.ServiceNames(),
	}
	if addr := s.MetricsAddress(); addr != "" {
		attrs = append(attrs, "metrics_address", addr)
	}
	if u, err := url.Parse(s.cfg.TracesEndpoint); err == nil && s.cfg.TracesEndpoint != "" {
		attrs = append(attrs, "traces_endpoint", u.Redacted())
	}
	s.logger.Info("service started", attrs...)
	return nil
}

// beforeStop runs when the context is done, before go-micro stops its
// server (which gives calls a hard second at most): health turns
// NOT_SERVING, new calls are refused and the instance deregisters, the calls
// in flight finish (at most ShutdownTimeout), and the standard services'
// streams (health watches) end. See docs/go-micro-workarounds.md.
func (s *Service) beforeStop() error {
	s.logger.Info("service stopping: deregistering and draining",
		"shutdown_timeout", s.cfg.ShutdownTimeout.String())
	s.stopHealth()
	// Refuse first: the register check then fails, so go-micro's periodic
	// re-register cannot put the node back after the deregister.
	s.drain.Begin()
	if d, ok := s.micro.Server().(micro.Deregisterer); ok {
		s.deregister(d)
	}
	if n := s.drain.Wait(s.cfg.ShutdownTimeout); n > 0 {
		s.logger.Warn("shutdown timeout passed with calls in flight", "calls", n)
	}
	s.std.Stop()
	return nil
}

// deregisterTimeout bounds the wait for the registry at stop: a registry
// that does not answer must not hold the drain up.
const deregisterTimeout = 3 * time.Second

// deregister takes the instance out of the registry, waiting at most
// deregisterTimeout; a deregister still running then goes on alone.
func (s *Service) deregister(d micro.Deregisterer) {
	done := make(chan error, 1)
	go func() { done <- d.Deregister() }()
	select {
	case err := <-done:
		if err != nil {
			s.logger.Warn("deregister failed", "error", err)
		}
	case <-time.After(deregisterTimeout):
		s.logger.Warn("deregister did not finish; draining anyway", "waited", deregisterTimeout.String())
	}
}

func (s *Service) afterStop() error {
	var errs []error
	for _, fn := range s.hooks {
		ctx, cancel := context.WithTimeout(context.Background(), stopHookTimeout)
		errs = append(errs, fn(ctx))
		cancel()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	s.logger.Info("service stopped")
	return nil
}

// Registry returns the registry the service registers in.
func (s *Service) Registry() registry.Registry { return s.micro.Options().Registry }
