// Package smtpsink is an SMTP server that keeps what it receives in memory,
// built on github.com/emersion/go-smtp: the mail server of the
// notification service's tests (Start), and, as the program
// testenv/cmd/smtpsink, of make run, make dev and compose, with an inbox
// to read over HTTP (Sink.ServeHTTP). It delivers nothing anywhere.
//
// A Sink offers STARTTLS when given a TLS configuration (TLSConfig makes
// one for tests), asks for PLAIN authentication when given a username,
// and can refuse recipients with a 550, as a real server refuses an
// unknown mailbox.
package smtpsink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DefaultMaxMessages is how many messages a Sink keeps when Options say
// none: the oldest go first.
const DefaultMaxMessages = 1000

// maxMessageBytes bounds one message.
const maxMessageBytes = 1 << 20

// Options configure a Sink.
type Options struct {
	// TLS, when set, makes the Sink offer STARTTLS with it.
	TLS *tls.Config
	// Username and Password, when Username is set, are the only PLAIN
	// credentials accepted, and mail is refused without them.
	Username, Password string
	// Reject lists recipients refused with a 550.
	Reject []string
	// MaxMessages is how many messages are kept; 0 means
	// DefaultMaxMessages.
	MaxMessages int
	// OnMessage, when set, is called with each message accepted, before
	// the server answers the data: an error fails the message (451).
	OnMessage func(Message) error
}

// Message is a mail the Sink received.
type Message struct {
	// From and To are the envelope's sender and recipients.
	From string
	To   []string
	// Data is the message as received, headers and body, with CRLF line
	// ends.
	Data []byte
	// TLS and Auth say whether the session was encrypted and
	// authenticated.
	TLS, Auth bool
	// Received is when the Sink accepted it.
	Received time.Time
}

// Parse parses m's data as a mail, or fails.
func (m Message) Parse() (*mail.Message, error) {
	return mail.ReadMessage(bytes.NewReader(m.Data))
}

// Sink is an SMTP server that keeps the messages it accepts. It is safe
// for concurrent use.
type Sink struct {
	opts   Options
	server *smtp.Server

	mu       sync.Mutex
	messages []Message
	changed  chan struct{} // closed and replaced on each message
}

// New returns a Sink with opts, not serving yet (Serve).
func New(opts Options) *Sink {
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	s := &Sink{opts: opts, changed: make(chan struct{})}
	s.server = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{sink: s, conn: c}, nil
	}))
	s.server.Domain = "smtpsink.localhost"
	s.server.TLSConfig = opts.TLS
	s.server.AllowInsecureAuth = opts.TLS == nil
	s.server.MaxMessageBytes = maxMessageBytes
	s.server.MaxRecipients = 50
	s.server.ReadTimeout = time.Minute
	s.server.WriteTimeout = time.Minute
	s.server.ErrorLog = discardLogger{}
	return s
}

// Serve accepts SMTP connections on ln until Close, and returns nil then.
func (s *Sink) Serve(ln net.Listener) error {
	err := s.server.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops the Sink and closes its connections.
func (s *Sink) Close() error {
	if err := s.server.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// Messages returns the messages received, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Wait returns the messages once there are at least n, or ctx's error
// with those there are.
func (s *Sink) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := slices.Clone(s.messages), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return msgs, fmt.Errorf("%d messages of %d: %w", len(msgs), n, ctx.Err())
		}
	}
}

// add keeps m, dropping the oldest beyond MaxMessages.
func (s *Sink) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	if over := len(s.messages) - s.opts.MaxMessages; over > 0 {
		s.messages = slices.Delete(s.messages, 0, over)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP connection's transaction.
type session struct {
	sink *Sink
	conn *smtp.Conn
	auth bool
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN when the Sink has a username.
func (s *session) AuthMechanisms() []string {
	if s.sink.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks PLAIN credentials against the Sink's.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || s.sink.opts.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.sink.opts.Username || password != s.sink.opts.Password {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.sink.opts.Username != "" && !s.auth {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(s.sink.opts.Reject, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, tlsOn := s.conn.TLSConnectionState()
	m := Message{From: s.from, To: s.to, Data: data, TLS: tlsOn, Auth: s.auth, Received: time.Now()}
	if on := s.sink.opts.OnMessage; on != nil {
		if err := on(m); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "not kept: " + err.Error()}
		}
	}
	s.sink.add(m)
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// discardLogger drops go-smtp's reports of connections that failed.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
