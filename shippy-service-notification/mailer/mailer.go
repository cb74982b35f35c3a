// Package mailer is the notification service's notification.Mailer over
// SMTP (net/smtp): one connection per mail, STARTTLS whenever the server
// offers it and required unless the server is on loopback, PLAIN
// authentication only over TLS or loopback, and a timeout per mail. Mails
// are plain text in UTF-8 with the headers of RFC 5322 (message.go).
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// DefaultTimeout bounds one mail, from the dial to the server's answer to
// the data.
const DefaultTimeout = 30 * time.Second

// Config is what an SMTP mailer needs.
type Config struct {
	// Address is the server's host:port.
	Address string
	// From is the mail's sender (From header and envelope).
	From *mail.Address
	// Username and Password, with Username set, authenticate with PLAIN.
	Username, Password string
	// Timeout bounds one mail; 0 means DefaultTimeout.
	Timeout time.Duration
	// TLS is the client configuration of STARTTLS; nil means the system's
	// roots, verifying the server's host name. Its ServerName is set to
	// Address's host when empty.
	TLS *tls.Config
	// Plaintext allows mail in plain text to a server off loopback that
	// offers no STARTTLS: for a test server on a private network only.
	Plaintext bool
	// Hostname is the name given in EHLO; "" means "localhost".
	Hostname string
	// Dial connects to the server; nil means a net.Dialer. Tests dial a
	// server on loopback under another name.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now reads the time of the Date header; nil means time.Now.
	Now func() time.Time
}

// SMTP sends mail through one SMTP server. It is safe for concurrent use.
type SMTP struct {
	cfg      Config
	host     string
	loopback bool
	tls      *tls.Config
}

var _ notification.Mailer = (*SMTP)(nil)

// New returns a mailer of cfg, or an error for an address without a port,
// no sender, or a password without a username.
func New(cfg Config) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("new mailer: address %q: %w", cfg.Address, err)
	}
	switch {
	case cfg.From == nil || cfg.From.Address == "":
		return nil, errors.New("new mailer: no sender")
	case cfg.Password != "" && cfg.Username == "":
		return nil, errors.New("new mailer: a password without a username")
	case cfg.Timeout < 0:
		return nil, errors.New("new mailer: negative timeout")
	}
	if err := checkHeader("from", cfg.From.Name+cfg.From.Address); err != nil {
		return nil, fmt.Errorf("new mailer: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tlsConfig = cfg.TLS.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	return &SMTP{cfg: cfg, host: host, loopback: IsLoopback(host), tls: tlsConfig}, nil
}

// IsLoopback reports whether host, a name or an IP address, is this
// machine: "localhost" or a loopback address. Names are not resolved.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send implements notification.Mailer: it sends m in one SMTP session,
// within the Timeout. A 5xx answer to the recipient or to the data is
// notification.ErrRejected; a mail with a line break in a header field is
// notification.ErrInvalid; every other error (the server unreachable, no
// STARTTLS off loopback, authentication refused) may pass later.
func (s *SMTP) Send(ctx context.Context, m notification.Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("mail %s: %w", m.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.send(ctx, m.To.Email, msg); err != nil {
		return fmt.Errorf("mail %s to %s: %w", m.ID, s.cfg.Address, err)
	}
	return nil
}

// send delivers msg to rcpt in one session, closing the connection when
// ctx ends.
func (s *SMTP) send(ctx context.Context, rcpt string, msg []byte) error {
	conn, err := s.cfg.Dial(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.Hostname); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	} else if !s.loopback && !s.cfg.Plaintext {
		return errors.New("the server offers no STARTTLS and is not on loopback: refusing to send in plain text")
	}
	if s.cfg.Username != "" {
		// PlainAuth itself refuses to send the password without TLS
		// unless the host is localhost, 127.0.0.1 or ::1.
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.cfg.From.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("rcpt to: %w", rejected(err))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", rejected(err))
	}
	// The server has accepted the mail: a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// rejected marks err as notification.ErrRejected when it is a permanent
// (5xx) answer of the server.
func rejected(err error) error {
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 500 && tpErr.Code < 600 {
		return fmt.Errorf("%w: %w", notification.ErrRejected, err)
	}
	return err
}
