package platform

import (
	"context"
	"errors"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Health check timing: how often the CheckHealth functions run, and how long
// one round of them may take before it counts as failed.
const (
	DefaultHealthCheckInterval = 5 * time.Second
	DefaultHealthCheckTimeout  = 2 * time.Second
)

// CheckHealth adds fn to what decides the service's standard gRPC health
// (grpc.health.v1, overall "" and the service name): while any fn fails, or
// the round does not finish within DefaultHealthCheckTimeout, health is
// NOT_SERVING. The functions run when the service starts and every
// DefaultHealthCheckInterval until it stops; fn must honour its context.
// A store's ping is the usual fn. Call CheckHealth before Run.
//
// Health only reports: an instance whose check fails stays registered and
// keeps answering calls, whose errors say what is unavailable.
func (s *Service) CheckHealth(fn func(context.Context) error) {
	s.checks = append(s.checks, fn)
}

// startHealth runs the checks once, reports the result, and keeps checking
// in the background until stopHealth.
func (s *Service) startHealth() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopChecks = func() { cancel(); <-done }

	s.runChecks(ctx)
	if len(s.checks) == 0 {
		close(done)
		return
	}
	go func() {
		defer close(done)
		ticker := time.NewTicker(s.checkInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				s.runChecks(ctx)
			}
		}
	}()
}

// stopHealth turns health to NOT_SERVING for good and stops the checks.
func (s *Service) stopHealth() {
	s.health.Shutdown()
	if s.stopChecks != nil {
		s.stopChecks()
	}
}

// runChecks runs every check with one bounded context and sets health from
// the result, logging only the changes.
func (s *Service) runChecks(ctx context.Context) {
	checkCtx, cancel := context.WithTimeout(ctx, s.checkTimeout)
	defer cancel()
	errs := make([]error, 0, len(s.checks))
	for _, fn := range s.checks {
		errs = append(errs, fn(checkCtx))
	}
	err := errors.Join(errs...)
	if ctx.Err() != nil {
		return // stopping: health is NOT_SERVING already
	}
	switch {
	case err != nil && !s.unhealthy:
		s.logger.Warn("health check failed: reporting NOT_SERVING", "error", err)
	case err == nil && s.unhealthy:
		s.logger.Info("health check passes again: reporting SERVING")
	}
	s.unhealthy = err != nil
	s.setHealth(err == nil)
}

// setHealth reports the service, overall and by name, as serving or not.
func (s *Service) setHealth(serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(s.name, st)
}
