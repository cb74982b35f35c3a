package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-notification/consumer"
	"github.com/shippy-suite/shippy/shippy-service-notification/mailer"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// serve is the notification service: with a broker and an SMTP server
// configured, it consumes the events of the broker and mails their users
// until ctx is done; without either, it says so and consumes nothing, so
// the events wait on the broker. Either
// way it registers, and serves health and metrics, like every service. It
// returns nil on a clean stop.
func serve(ctx context.Context, cfg Config, service *store.Service[notification.Repository]) error {
	if cfg.EventsURL == "" {
		service.Logger.Warn("no event broker configured: nothing is consumed until the service runs with "+events.EnvURL+" set",
			"variable", events.EnvURL)
		return service.Run()
	}
	if cfg.SMTP.Address == "" {
		service.Logger.Warn("no mail server: events are left on the broker, unhandled, until the service runs with "+EnvSMTPAddress+" set",
			"variable", EnvSMTPAddress)
		return service.Run()
	}
	m, err := mailer.New(cfg.SMTP.mailerConfig())
	if err != nil {
		return fmt.Errorf("%s: %w", EnvSMTPAddress, err)
	}
	notifications, err := notification.NewService(service.Repo, m, time.Now)
	if err != nil {
		return err
	}
	stream, err := events.Connect(ctx, events.Config{URL: cfg.EventsURL, Name: ServiceName, Logger: service.Logger, Buffer: consumer.Buffer})
	if err != nil {
		return err
	}
	c, err := consumer.New(stream, notifications, service.Logger, service.Metrics())
	if err != nil {
		return errors.Join(err, stream.Close())
	}
	wait, err := c.Start(ctx)
	if err != nil {
		return errors.Join(err, stream.Close())
	}
	service.Logger.Info("mailing users on events", "smtp_address", cfg.SMTP.Address, "from", cfg.SMTP.From.String(),
		"group", consumer.Group, "retry_limit", consumer.RetryLimit)
	// Once the service has drained, the events being handled are
	// finished, and then the broker's connection closes.
	service.OnStop(func(hookCtx context.Context) error {
		done := make(chan struct{})
		go func() { wait(); close(done) }()
		select {
		case <-done:
		case <-hookCtx.Done():
			service.Logger.Warn("events still being handled at stop; they will be delivered again")
		}
		return stream.Close()
	})
	return service.Run()
}

// run is the notification service's command line (platform.Run): it
// serves (store.Serve), configured from getenv (loadConfig), or runs the
// healthcheck subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	serveStore := store.Serve(ServiceName, backends(), telemetryNone, serve)
	return platform.Run(ctx, args, getenv, stdout, stderr, "shippy-service-notification", envUsage(), loadConfig, serveStore)
}
