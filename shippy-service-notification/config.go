package main

import (
	"fmt"
	"net"
	"net/mail"
	"strings"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-notification/mailer"
)

// ServiceName is the notification service's name in the registry.
const ServiceName = "shippy.service.notification"

// Environment variables of the notification service, besides the
// platform's, the store's and events.EnvURL.
const (
	// EnvSMTPAddress is the mail server's host:port. Unset, the service
	// handles no events: they wait on the broker until it is set.
	EnvSMTPAddress = "SMTP_ADDRESS"
	// EnvSMTPFrom is the sender of the mails, an RFC 5322 address.
	EnvSMTPFrom = "SMTP_FROM"
	// EnvSMTPUsername and EnvSMTPPassword authenticate with PLAIN, over
	// TLS or on loopback only.
	EnvSMTPUsername = "SMTP_USERNAME"
	EnvSMTPPassword = "SMTP_PASSWORD"
	// EnvSMTPPlaintext, "true", allows mail in plain text to a server off
	// loopback that offers no STARTTLS: for a test mail server on a
	// private network (compose's smtpsink), never for a real one.
	EnvSMTPPlaintext = "SMTP_ALLOW_PLAINTEXT"
)

// Defaults of the settings above.
const (
	DefaultFrom = "Shippy <no-reply@shippy.localhost>"
)

// holds says what the service's store keeps, for its log and usage.
const holds = "recipients and sent notifications"

// Config is the notification service's configuration.
type Config struct {
	// ServiceConfig has the platform's settings, and where the store is.
	store.ServiceConfig
	// EventsURL is the broker's URL (events.EnvURL); empty: none, and the
	// service consumes nothing.
	EventsURL string
	// SMTP is the mail server; SMTP.Address "" when unset.
	SMTP SMTPConfig
}

// SMTPConfig is where and how the service sends mail.
type SMTPConfig struct {
	Address string
	From    *mail.Address
	// Username and Password authenticate; Password is never logged.
	Username, Password string
	// Plaintext allows a server off loopback without STARTTLS.
	Plaintext bool
}

// envUsage is the help of the variables the service reads besides the
// platform's, for its usage message.
func envUsage() []platform.EnvVar {
	return append([]platform.EnvVar{
		{Name: events.EnvURL, Help: "NATS (JetStream) URL the events are consumed from (default: none; the service consumes nothing until it is set)"},
		{Name: EnvSMTPAddress, Help: "mail server host:port; unset, events wait on the broker unhandled"},
		{Name: EnvSMTPFrom, Help: "sender of the mails (default " + DefaultFrom + ")"},
		{Name: EnvSMTPUsername, Help: "SMTP username (PLAIN authentication, over TLS or loopback only)"},
		{Name: EnvSMTPPassword, Help: "SMTP password"},
		{Name: EnvSMTPPlaintext, Help: "true: allow plain text to a server off loopback without STARTTLS (test servers only)"},
	}, store.EnvUsage(holds)...)
}

// loadConfig reads Config from getenv, fills in defaults and validates it.
// Errors name the variable at fault, and never show the password.
func loadConfig(getenv func(string) string) (Config, error) {
	base, err := store.LoadServiceConfig(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		ServiceConfig: base,
		EventsURL:     strings.TrimSpace(getenv(events.EnvURL)),
		SMTP: SMTPConfig{
			Address:  getenv(EnvSMTPAddress),
			Username: getenv(EnvSMTPUsername),
			Password: getenv(EnvSMTPPassword),
		},
	}
	from := getenv(EnvSMTPFrom)
	if from == "" {
		from = DefaultFrom
	}
	if cfg.SMTP.From, err = mail.ParseAddress(from); err != nil {
		return Config{}, fmt.Errorf("%s: %q is not an address: %w", EnvSMTPFrom, from, err)
	}
	switch v := getenv(EnvSMTPPlaintext); v {
	case "", "false":
	case "true":
		cfg.SMTP.Plaintext = true
	default:
		return Config{}, fmt.Errorf("%s: %q is not true or false", EnvSMTPPlaintext, v)
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot work, naming its
// variable.
func (c Config) Validate() error {
	if c.SMTP.Address != "" {
		if _, port, err := net.SplitHostPort(c.SMTP.Address); err != nil || port == "" {
			return fmt.Errorf("%s: %q is not host:port", EnvSMTPAddress, c.SMTP.Address)
		}
	}
	if c.SMTP.Password != "" && c.SMTP.Username == "" {
		return fmt.Errorf("%s: set with no %s", EnvSMTPPassword, EnvSMTPUsername)
	}
	return c.ServiceConfig.Validate()
}

// mailerConfig is the mailer's configuration of c.
func (c SMTPConfig) mailerConfig() mailer.Config {
	return mailer.Config{Address: c.Address, From: c.From, Username: c.Username, Password: c.Password, Plaintext: c.Plaintext}
}
