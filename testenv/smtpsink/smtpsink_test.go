package smtpsink_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv/smtpsink"
)

// TestSinkKeepsAndShows sends mails with net/smtp and reads them back
// through Wait, the bound on what is kept, and the inbox.
func TestSinkKeepsAndShows(t *testing.T) {
	t.Parallel()
	sink := smtpsink.Start(t, smtpsink.Options{MaxMessages: 2})
	for _, subject := range []string{"one", "two", "three"} {
		msg := "Subject: " + subject + "\r\n\r\nbody\r\n"
		if err := smtp.SendMail(sink.Addr(), nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
			t.Fatalf("SendMail(%s): %v", subject, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	msgs, err := sink.Wait(ctx, 2)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Wait(2) = %d messages, %v", len(msgs), err)
	}
	if p, err := msgs[0].Parse(); err != nil || p.Header.Get("Subject") != "two" {
		t.Errorf("oldest kept message = %v; want subject two (MaxMessages 2)", err)
	}
	rec := httptest.NewRecorder()
	sink.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/messages.json", nil))
	var list []struct{ Subject string }
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 2 || list[0].Subject != "three" {
		t.Errorf("inbox JSON = %s, %v; want two messages, three first", rec.Body, err)
	}
	rec = httptest.NewRecorder()
	sink.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(rec.Body.String(), "Subject: three") {
		t.Errorf("inbox text lacks the last message:\n%s", rec.Body)
	}
}
