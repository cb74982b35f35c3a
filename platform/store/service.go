package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/shippy-suite/shippy/platform"
)

// ServiceConfig is the configuration of every service that keeps data: the
// platform's, and where the data is kept. A service's Config embeds it.
type ServiceConfig struct {
	Platform platform.Config
	Storage  Config
}

// LoadServiceConfig reads ServiceConfig from getenv (platform.LoadConfig
// and LoadConfig), fills in defaults and validates it. Errors name the
// variable at fault.
func LoadServiceConfig(getenv func(string) string) (ServiceConfig, error) {
	pcfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return ServiceConfig{}, err
	}
	storage, err := LoadConfig(getenv)
	if err != nil {
		return ServiceConfig{}, err
	}
	return ServiceConfig{Platform: pcfg, Storage: storage}, nil
}

// Validate reports the first setting that cannot work, naming its
// variable.
func (c ServiceConfig) Validate() error {
	if err := c.Platform.Validate(); err != nil {
		return err
	}
	return c.Storage.Validate()
}

// serviceConfig returns c: a type that embeds ServiceConfig has this
// method, which Serve asks of its configuration.
func (c ServiceConfig) serviceConfig() ServiceConfig { return c }

// TraceFunc wraps a repository in spans, one a call: a service's
// telemetry.TraceRepository. system is the store's System.
type TraceFunc[R any] func(repo R, tp trace.TracerProvider, system string) R

// Service is a platform service and the store it keeps its data in: what a
// service's serve wires its domain, handlers and metrics to.
type Service[R any] struct {
	*platform.Service
	// Logger writes the service's JSON log lines.
	Logger *slog.Logger
	// Store is the store the configuration chooses; its Repo makes no
	// spans.
	Store *Store[R]
	// Repo is the repository for the domain: Store.Repo in spans when
	// tracing is on.
	Repo R
}

// NewService makes what a service that keeps data runs on: its logger,
// writing JSON lines to stdout at cfg.Platform.LogLevel; its store (Open,
// with b); and its platform service named name (platform.NewService),
// reported NOT_SERVING while the database does not answer. When tracing is
// on, Repo is the repository in trace's spans. Close its store
// (Store.Close) once Run has returned.
func NewService[R any](ctx context.Context, name string, cfg ServiceConfig, b Backends[R], trace TraceFunc[R], stdout io.Writer) (*Service[R], error) {
	logger := platform.NewLogger(stdout, cfg.Platform.LogLevel)
	st, err := Open(cfg.Storage, b, logger)
	if err != nil {
		return nil, err
	}
	service, err := platform.NewService(ctx, name, cfg.Platform, logger)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	if st.Ping != nil {
		service.CheckHealth(st.Ping)
	}
	repo := st.Repo
	if service.TracingEnabled() {
		repo = trace(repo, service.TracerProvider(), st.System)
	}
	return &Service[R]{Service: service, Logger: logger, Store: st, Repo: repo}, nil
}

// Run runs the platform service (platform.Service.Run) until the context
// given to NewService is done; its error says "run service".
func (s *Service[R]) Run() error {
	if err := s.Service.Run(); err != nil {
		return fmt.Errorf("run service: %w", err)
	}
	return nil
}

// Serve returns the serve of a service program (for platform.Run) whose
// configuration C embeds ServiceConfig: it makes the service named name
// with b and trace (NewService), calls serve with it, and closes the store once
// serve has returned, which it does once the service's Run has drained
// the calls in flight. A store that fails to close fails a serve that did
// not fail, with "close store: ...".
func Serve[C interface{ serviceConfig() ServiceConfig }, R any](name string, b Backends[R], trace TraceFunc[R], serve func(context.Context, C, *Service[R]) error) func(context.Context, C, io.Writer) error {
	return func(ctx context.Context, cfg C, stdout io.Writer) error {
		service, err := NewService(ctx, name, cfg.serviceConfig(), b, trace, stdout)
		if err != nil {
			return err
		}
		err = serve(ctx, cfg, service)
		if cerr := service.Store.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
		return err
	}
}
