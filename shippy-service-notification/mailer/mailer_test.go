package mailer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-notification/mailer"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/testenv/smtpsink"
)

// date is the time of the mails of the tests.
var date = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

var from = &mail.Address{Name: "Shippy", Address: "no-reply@shippy.example"}

// newMail is a mail to Ann of the event id.
func newMail(id string) notification.Mail {
	return notification.Mail{
		ID:      id,
		To:      notification.Recipient{UserID: "u-1", Name: "Ann Ölfässer", Email: "ann@example.com"},
		Subject: "Consignment c-1 booked on vessel vessel001 ✓",
		Body:    "Hello Ann,\n\nyour consignment is booked.\n",
	}
}

func newMailer(t *testing.T, cfg mailer.Config) *mailer.SMTP {
	t.Helper()
	if cfg.From == nil {
		cfg.From = from
	}
	cfg.Now = func() time.Time { return date }
	m, err := mailer.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// dialTo dials addr whatever address the mailer asks for: a server on
// loopback reached under another name.
func dialTo(addr string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

// TestSendHeaders sends a mail to a sink on loopback without TLS and
// checks the envelope and every header.
func TestSendHeaders(t *testing.T) {
	t.Parallel()
	sink := smtpsink.Start(t, smtpsink.Options{})
	m := newMailer(t, mailer.Config{Address: sink.Addr()})
	if err := m.Send(t.Context(), newMail("e-1")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink has %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != from.Address || len(got.To) != 1 || got.To[0] != "ann@example.com" || got.TLS {
		t.Errorf("envelope from %q to %q, TLS %v; want from %q to ann@example.com without TLS", got.From, got.To, got.TLS, from.Address)
	}
	p, err := got.Parse()
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Ann Ölfässer" || to[0].Address != "ann@example.com" {
		t.Errorf("To = %v, %v; want Ann Ölfässer <ann@example.com>", to, err)
	}
	for _, h := range []struct{ key, got, want string }{
		{"From", p.Header.Get("From"), `"Shippy" <no-reply@shippy.example>`},
		{"Subject", subject, "Consignment c-1 booked on vessel vessel001 ✓"},
		{"Date", p.Header.Get("Date"), "Thu, 02 Jan 2025 03:04:05 +0000"},
		{"Message-ID", p.Header.Get("Message-ID"), "<e-1@shippy.example>"},
		{"MIME-Version", p.Header.Get("MIME-Version"), "1.0"},
		{"Content-Type", p.Header.Get("Content-Type"), "text/plain; charset=utf-8"},
	} {
		if h.got != h.want {
			t.Errorf("%s = %q, want %q", h.key, h.got, h.want)
		}
	}
	body, _ := io.ReadAll(p.Body)
	if !strings.Contains(string(body), "your consignment is booked.\r\n") {
		t.Errorf("body %q lacks the text with CRLF line ends", body)
	}
}

// TestSendTLSAndAuth checks STARTTLS, taken whenever offered, and PLAIN
// authentication over it, on loopback and off it.
func TestSendTLSAndAuth(t *testing.T) {
	t.Parallel()
	serverTLS, roots := smtpsink.TLSConfig(t, "127.0.0.1", "mail.example")
	sink := smtpsink.Start(t, smtpsink.Options{TLS: serverTLS, Username: "shippy", Password: "secret"})
	tests := []struct {
		name     string
		cfg      mailer.Config
		wantErr  string // in the error; "" for none
		wantTLS  bool
		wantAuth bool
	}{
		{"loopback", mailer.Config{Address: sink.Addr(), Username: "shippy", Password: "secret", TLS: &tls.Config{RootCAs: roots}}, "", true, true},
		{"remote", mailer.Config{Address: "mail.example:587", Username: "shippy", Password: "secret", TLS: &tls.Config{RootCAs: roots}, Dial: dialTo(sink.Addr())}, "", true, true},
		{"wrong password", mailer.Config{Address: sink.Addr(), Username: "shippy", Password: "wrong", TLS: &tls.Config{RootCAs: roots}}, "auth: ", false, false},
		{"untrusted certificate", mailer.Config{Address: sink.Addr(), Username: "shippy", Password: "secret"}, "starttls: ", false, false},
		{"no credentials", mailer.Config{Address: sink.Addr(), TLS: &tls.Config{RootCAs: roots}}, "mail from: ", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "e-" + strings.ReplaceAll(tt.name, " ", "-")
			err := newMailer(t, tt.cfg).Send(t.Context(), newMail(id))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, notification.ErrRejected) {
					t.Errorf("Send = %v, want an error with %q that is not final", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			for _, msg := range sink.Messages() {
				if p, _ := msg.Parse(); p != nil && strings.HasPrefix(p.Header.Get("Message-ID"), "<"+id+"@") {
					if msg.TLS != tt.wantTLS || msg.Auth != tt.wantAuth {
						t.Errorf("received with TLS %v, auth %v; want %v, %v", msg.TLS, msg.Auth, tt.wantTLS, tt.wantAuth)
					}
					return
				}
			}
			t.Errorf("mail %s not received", id)
		})
	}
}

// TestPlainTextOffLoopback checks that a mail is not sent in plain text to
// a server off loopback that offers no STARTTLS.
func TestPlainTextOffLoopback(t *testing.T) {
	t.Parallel()
	sink := smtpsink.Start(t, smtpsink.Options{})
	m := newMailer(t, mailer.Config{Address: "mail.example:25", Dial: dialTo(sink.Addr())})
	if err := m.Send(t.Context(), newMail("e-1")); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Send = %v, want a refusal naming STARTTLS", err)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("sink received %d messages, want none", n)
	}
}

// TestSendRefused checks the errors of mails that cannot be sent: final
// (ErrRejected, ErrInvalid) or not.
func TestSendRefused(t *testing.T) {
	t.Parallel()
	sink := smtpsink.Start(t, smtpsink.Options{Reject: []string{"gone@example.com"}})
	m := newMailer(t, mailer.Config{Address: sink.Addr()})
	injected := newMail("e-3")
	injected.To.Name = "Ann\r\nBcc: all@example.com"
	badSubject := newMail("e-4")
	badSubject.Subject = "Hi\nBcc: all@example.com"
	gone := newMail("e-2")
	gone.To.Email = "gone@example.com"
	tests := []struct {
		name string
		mail notification.Mail
		want error
	}{
		{"recipient refused", gone, notification.ErrRejected},
		{"line break in the name", injected, notification.ErrInvalid},
		{"line break in the subject", badSubject, notification.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Send(t.Context(), tt.mail); !errors.Is(err, tt.want) {
				t.Errorf("Send = %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("sink received %d messages, want none", n)
	}
}

// TestSendTimeout checks that a server that never answers fails the mail
// within the Timeout, with an error that is not final.
func TestSendTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // silent: no greeting
		}
	}()
	m := newMailer(t, mailer.Config{Address: ln.Addr().String(), Timeout: 200 * time.Millisecond})
	start := time.Now()
	err = m.Send(t.Context(), newMail("e-1"))
	if err == nil || errors.Is(err, notification.ErrRejected) {
		t.Errorf("Send to a silent server = %v, want an error that is not final", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %s, want about the 200ms timeout", d)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]mailer.Config{
		"no port":                {Address: "mail.example", From: from},
		"no sender":              {Address: "mail.example:25"},
		"password, no username":  {Address: "mail.example:25", From: from, Password: "secret"},
		"line break in the from": {Address: "mail.example:25", From: &mail.Address{Name: "a\r\nBcc: x", Address: "a@b.example"}},
		"negative timeout":       {Address: "mail.example:25", From: from, Timeout: -time.Second},
	} {
		if _, err := mailer.New(cfg); err == nil {
			t.Errorf("New with %s = nil error, want one", name)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"mail.example": false, "10.0.0.1": false, "smtpsink": false, "localhost.example": false,
	} {
		if got := mailer.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
