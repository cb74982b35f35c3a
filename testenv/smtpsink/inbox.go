package smtpsink

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// inboxMessage is a message as the inbox's JSON lists it.
type inboxMessage struct {
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Received time.Time `json:"received"`
	Data     string    `json:"data"`
}

// ServeHTTP serves the inbox, newest message first: as plain text (each
// message as received) at any path, or as JSON when the request asks for
// application/json or its path is /messages.json.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	msgs := s.Messages()
	slices.Reverse(msgs)
	if r.URL.Path == "/messages.json" || r.Header.Get("Accept") == "application/json" {
		list := make([]inboxMessage, 0, len(msgs))
		for _, m := range msgs {
			im := inboxMessage{From: m.From, To: m.To, Received: m.Received, Data: string(m.Data)}
			if p, err := m.Parse(); err == nil {
				im.Subject = p.Header.Get("Subject")
			}
			list = append(list, im)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "smtpsink: %d messages, newest first (the last ones, kept in memory; /messages.json for JSON)\n", len(msgs))
	for _, m := range msgs {
		fmt.Fprintf(w, "\n==== received %s from <%s> to %v\n%s", m.Received.UTC().Format(time.RFC3339), m.From, m.To, m.Data)
	}
}
