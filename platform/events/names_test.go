package events

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	microevents "go-micro.dev/v5/events"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestCheckTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		topic string
		ok    bool
	}{
		{"shippy.user.created", true},
		{"shippy.consignment.booked", true},
		{"shippy.a-b.c1", true},
		{"shippy.", false},
		{"shippy", false},
		{"user.created", false},
		{"dead.shippy.user.created", false},
		{"shippy.>", false},
		{"shippy.*.created", false},
		{"shippy.user..created", false},
		{"shippy.user_created", false},
		{"shippy.user created", false},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			t.Parallel()
			err := checkTopic(tt.topic)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("checkTopic(%q) = %v, want ok %t", tt.topic, err, tt.ok)
			}
		})
	}
}

func TestCheckGroup(t *testing.T) {
	t.Parallel()
	for group, ok := range map[string]bool{
		"notification": true, "Notification-2": true,
		"": false, "a_b": false, "a.b": false, "a b": false, "a>": false,
	} {
		if err := checkGroup(group); (err == nil) != ok {
			t.Errorf("checkGroup(%q) = %v, want ok %t", group, err, ok)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	if got, want := consumerName("notification", "shippy.user.created"), "notification_shippy_user_created"; got != want {
		t.Errorf("consumerName = %q, want %q", got, want)
	}
	if got, want := DeadLetterSubject("shippy.user.created"), "dead.shippy.user.created"; got != want {
		t.Errorf("DeadLetterSubject = %q, want %q", got, want)
	}
	// The dead letters lie outside the events' stream, inside their own.
	for _, cfg := range streamConfigs() {
		for _, subject := range cfg.Subjects {
			dead := strings.HasPrefix(subject, DeadLetterPrefix)
			if dead != (cfg.Name == DeadStreamName) {
				t.Errorf("stream %s has subject %q", cfg.Name, subject)
			}
		}
		if cfg.Duplicates != DuplicateWindow || cfg.Duplicates > cfg.MaxAge {
			t.Errorf("stream %s: duplicate window %s, max age %s", cfg.Name, cfg.Duplicates, cfg.MaxAge)
		}
	}
}

func TestCheckMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		md   map[string]string
		ok   bool
	}{
		{"none", nil, true},
		{"plain", map[string]string{"Trace-Id": "abc", "tenant": "x"}, true},
		{"event id", map[string]string{MetadataID: "e-1"}, true},
		{"broker's header", map[string]string{"Nats-Expected-Stream": "X"}, false},
		{"broker's header in lower case", map[string]string{"nats-msg-ttl": "1s"}, false},
		{"ours", map[string]string{MetadataDeliveries: "1"}, false},
		{"park flag", map[string]string{metaPark: "x"}, false},
		{"colon in key", map[string]string{"a:b": "x"}, false},
		{"space in key", map[string]string{"a b": "x"}, false},
		{"empty key", map[string]string{"": "x"}, false},
		{"line break in value", map[string]string{"a": "x\r\nNats-Msg-Id: y"}, false},
		{"line break in id", map[string]string{MetadataID: "e\n1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := checkMetadata(tt.md); (err == nil) != tt.ok {
				t.Errorf("checkMetadata(%q) = %v, want ok %t", tt.md, err, tt.ok)
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	t.Parallel()
	if got, want := headerValue("a\r\nb"), "a  b"; got != want {
		t.Errorf("headerValue = %q, want %q", got, want)
	}
	if got := headerValue(strings.Repeat("é", maxReasonBytes)); len(got) > maxReasonBytes || !strings.HasPrefix(got, "é") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("headerValue of a long reason = %d bytes, want at most %d of whole runes", len(got), maxReasonBytes)
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  any
		want []byte
		err  error
	}{
		{"bytes", []byte("raw"), []byte("raw"), nil},
		{"proto", wrapperspb.String("x"), []byte{0x0a, 0x01, 'x'}, nil},
		{"string", "raw", nil, microevents.ErrEncodingMessage},
		{"struct", struct{ A int }{1}, nil, microevents.ErrEncodingMessage},
		{"nil", nil, nil, microevents.ErrEncodingMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := encode(tt.msg)
			if !errors.Is(err, tt.err) || string(got) != string(tt.want) {
				t.Errorf("encode = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := &Stream{cfg: Config{Backoff: DefaultBackoff}}
	for n, want := range map[uint64]time.Duration{
		0: time.Second, 1: time.Second, 2: 10 * time.Second, 3: time.Minute, 4: 5 * time.Minute, 9: 5 * time.Minute,
	} {
		if got := s.backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestReconnectDelay(t *testing.T) {
	t.Parallel()
	for attempts, base := range map[int]time.Duration{
		0: 100 * time.Millisecond, 1: 200 * time.Millisecond, 4: 1600 * time.Millisecond, 5: 2 * time.Second, 1000: 2 * time.Second,
	} {
		if got := reconnectDelay(attempts); got < base || got > base+base/5 {
			t.Errorf("reconnectDelay(%d) = %s, want %s plus at most 20%%", attempts, got, base)
		}
	}
}

func TestRedactURLs(t *testing.T) {
	t.Parallel()
	got := redactURLs("nats://user:secret@a:4222,nats://b:4222,tok@c:1")
	if want := "nats://redacted@a:4222,nats://b:4222,redacted@c:1"; got != want {
		t.Errorf("redactURLs = %q, want %q", got, want)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{URL: "nats://127.0.0.1:4222", Logger: log}, true},
		{"no URL", Config{URL: " ", Logger: log}, false},
		{"no logger", Config{URL: "nats://127.0.0.1:4222"}, false},
		{"negative buffer", Config{URL: "nats://x", Logger: log, Buffer: -1}, false},
		{"empty backoff", Config{URL: "nats://x", Logger: log, Backoff: []time.Duration{}}, false},
		{"zero backoff", Config{URL: "nats://x", Logger: log, Backoff: []time.Duration{0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.cfg.withDefaults()
			if (err == nil) != tt.ok {
				t.Fatalf("withDefaults = %v, want ok %t", err, tt.ok)
			}
			if err == nil && (got.Timeout != DefaultTimeout || got.Buffer != DefaultBuffer || len(got.Backoff) != len(DefaultBackoff)) {
				t.Errorf("withDefaults = %+v, want the defaults", got)
			}
		})
	}
}

func TestParkNeedsAnEventOfConsume(t *testing.T) {
	t.Parallel()
	var e microevents.Event
	if err := Park(&e, "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Park = %v, want ErrInvalid", err)
	}
	if err := Fail(&e, errors.New("x")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Fail = %v, want ErrInvalid", err)
	}
}
