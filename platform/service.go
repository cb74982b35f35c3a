package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go-micro.dev/v5"
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	grpcserver "go-micro.dev/v5/server/grpc"
	"go-micro.dev/v5/store"
)

// Registration timing. An instance that dies without deregistering leaves
// the registry within RegisterTTL where the registry honours TTLs (Consul).
const (
	RegisterTTL      = 30 * time.Second
	RegisterInterval = 10 * time.Second
)

// stopHookTimeout bounds each OnStop hook.
const stopHookTimeout = 10 * time.Second

// Service is one go-micro service on the gRPC server and client, with a
// shutdown that deregisters first, then finishes in-flight calls.
type Service struct {
	name   string
	cfg    Config
	logger *slog.Logger
	micro  micro.Service
	drain  *drainer
	hooks  []func(context.Context) error
}

// NewService builds the service name on cfg's registry. It runs until ctx is
// done (see Run). Register handlers on Server() before calling Run.
func NewService(ctx context.Context, name string, cfg Config, logger *slog.Logger) (*Service, error) {
	if name == "" {
		return nil, errors.New("new service: empty name")
	}
	if logger == nil {
		return nil, errors.New("new service: nil logger")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	reg, err := NewRegistry(cfg)
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	s := &Service{
		name:   name,
		cfg:    cfg,
		logger: logger.With("service", name),
		drain:  newDrainer(name),
	}
	mlog := newMicroLogger(s.logger)
	srv := grpcserver.NewServer(
		server.Name(name),
		server.Address(cfg.ServerAddress),
		server.Registry(reg),
		server.RegisterTTL(RegisterTTL),
		server.RegisterInterval(RegisterInterval),
		server.RegisterCheck(s.drain.check),
		server.WrapHandler(s.drain.wrap),
		server.WithLogger(mlog),
	)
	s.micro = micro.NewService(
		micro.Server(srv),
		micro.Client(NewClient(reg, client.WithLogger(mlog))),
		// go-micro's default store is process-global; a memory store of
		// our own keeps anything from writing outside the data directory.
		micro.Store(store.NewMemoryStore()),
		micro.Registry(reg),
		micro.Context(ctx),
		micro.HandleSignal(false), // the caller's ctx carries the signals
		micro.Logger(mlog),
		micro.AfterStart(s.started),
		micro.BeforeStop(s.beforeStop),
		micro.AfterStop(s.afterStop),
	)
	return s, nil
}

// Server is where handlers are registered, before Run.
func (s *Service) Server() server.Server { return s.micro.Server() }

// Client calls other services through the same registry.
func (s *Service) Client() client.Client { return s.micro.Client() }

// OnStop adds fn to run after the drain, in the order added, each with its
// own bounded context: the place to close stores.
func (s *Service) OnStop(fn func(context.Context) error) { s.hooks = append(s.hooks, fn) }

// Run starts the server, registers it, and blocks until the context given to
// NewService is done. It then deregisters, refuses new calls (503, which
// NewClient's callers retry elsewhere), waits for in-flight calls for at most
// ShutdownTimeout, runs the OnStop hooks, and returns nil on a clean stop.
func (s *Service) Run() error {
	if err := s.micro.Run(); err != nil {
		return fmt.Errorf("run %s: %w", s.name, err)
	}
	return nil
}

func (s *Service) started() error {
	s.logger.Info("service started",
		"address", s.Server().Options().Address,
		"registry", s.cfg.Registry,
	)
	return nil
}

// deregisterer is what go-micro's servers have and server.Server does not
// declare.
type deregisterer interface{ Deregister() error }

func (s *Service) beforeStop() error {
	s.logger.Info("service stopping: deregistering and draining",
		"shutdown_timeout", s.cfg.ShutdownTimeout.String())
	if d, ok := s.Server().(deregisterer); ok {
		if err := d.Deregister(); err != nil {
			s.logger.Warn("deregister failed", "err", err)
		}
	}
	if n := s.drain.drain(s.cfg.ShutdownTimeout); n > 0 {
		s.logger.Warn("shutdown timeout passed with calls in flight", "calls", n)
	}
	return nil
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
