package mailer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// message returns m as a plain-text mail in UTF-8, quoted-printable, with
// CRLF line ends: From, To, Subject, Date, Message-ID, MIME-Version and
// Content-Type headers. Its Message-ID is made of m.ID, so that a mail sent
// twice for one event carries one Message-ID. A line break or another
// control character in a header field is notification.ErrInvalid: no
// field can inject a header.
func (s *SMTP) message(m notification.Mail) ([]byte, error) {
	for _, f := range []struct{ name, value string }{
		{"recipient name", m.To.Name}, {"recipient email", m.To.Email}, {"subject", m.Subject}, {"id", m.ID},
	} {
		if err := checkHeader(f.name, f.value); err != nil {
			return nil, err
		}
	}
	if m.To.Email == "" || m.ID == "" {
		return nil, fmt.Errorf("%w: no recipient or id", notification.ErrInvalid)
	}
	to := mail.Address{Name: m.To.Name, Address: m.To.Email}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.cfg.From.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", s.cfg.Now().Format(time.RFC1123Z))
	header("Message-ID", messageID(m.ID, s.cfg.From.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// messageID is the Message-ID of the mail of the event id, at the domain
// of the sender's address: the id itself when it is made of letters,
// digits, '.', '-' and '_' only, else its SHA-256 in hex.
func messageID(id, from string) string {
	domain := "shippy.localhost"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			sum := sha256.Sum256([]byte(id))
			id = hex.EncodeToString(sum[:])
			break
		}
	}
	return "<" + id + "@" + domain + ">"
}

// checkHeader refuses a value with a control character (CR and LF among
// them) for the header field name.
func checkHeader(name, value string) error {
	if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%w: %s contains a line break or control character", notification.ErrInvalid, name)
	}
	return nil
}
