package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	protoevents "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/natstest"
	"github.com/shippy-suite/shippy/testenv/netns"
	"github.com/shippy-suite/shippy/testenv/smtpsink"
)

// TestMain runs the tests in a private network namespace: the service
// registers over mDNS.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the start of the error; "" for none
		want    SMTPConfig
		nats    string
	}{
		{"defaults", nil, "", SMTPConfig{From: &mail.Address{Name: "Shippy", Address: "no-reply@shippy.localhost"}}, ""},
		{
			"all set",
			map[string]string{EnvSMTPAddress: "mail.example:587", EnvSMTPFrom: "ops@example.com", EnvSMTPUsername: "u", EnvSMTPPassword: "p", EnvSMTPPlaintext: "true", events.EnvURL: "nats://broker:4222"},
			"", SMTPConfig{Address: "mail.example:587", From: &mail.Address{Address: "ops@example.com"}, Username: "u", Password: "p", Plaintext: true}, "nats://broker:4222",
		},
		{"address without a port", map[string]string{EnvSMTPAddress: "mail.example"}, EnvSMTPAddress + ": ", SMTPConfig{}, ""},
		{"from not an address", map[string]string{EnvSMTPFrom: "shippy"}, EnvSMTPFrom + ": ", SMTPConfig{}, ""},
		{"password without a username", map[string]string{EnvSMTPPassword: "secret"}, EnvSMTPPassword + ": ", SMTPConfig{}, ""},
		{"plaintext not a boolean", map[string]string{EnvSMTPPlaintext: "yes"}, EnvSMTPPlaintext + ": ", SMTPConfig{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(storetesting.Getenv(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("loadConfig = %v, want an error starting %q, without the password", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			got := cfg.SMTP
			if got.Address != tt.want.Address || *got.From != *tt.want.From || got.Username != tt.want.Username ||
				got.Password != tt.want.Password || got.Plaintext != tt.want.Plaintext || cfg.EventsURL != tt.nats {
				t.Errorf("loadConfig = %+v (from %v), NATS %q; want %+v (from %v), %q", got, got.From, cfg.EventsURL, tt.want, tt.want.From, tt.nats)
			}
		})
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()
	t.Run("MongoURI", func(t *testing.T) { storetesting.RunRejectsBadMongoURI(t, run) })
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), nil, storetesting.Getenv(map[string]string{EnvSMTPAddress: "mail.example"}), &stdout, &stderr)
	if err == nil || !strings.HasPrefix(err.Error(), "config: "+EnvSMTPAddress) || stdout.Len() != 0 {
		t.Errorf("run with a bad %s = %v, logged %q; want a config error before anything starts", EnvSMTPAddress, err, stdout.String())
	}
}

// TestServe runs the service over mDNS against a real broker and an SMTP
// sink: a user's welcome and their bookings' confirmations arrive once
// each, a booking published before its owner's user.created waits for it
// (a retry after the backoff), and a malformed event is parked while the
// handling goes on.
func TestServe(t *testing.T) {
	netns.Require(t)
	broker := natstest.Start(t)
	sink := smtpsink.Start(t, smtpsink.Options{})
	metricsAddr := "127.0.0.1:" + testenv.FreePort(t)
	logs := startService(t, map[string]string{
		events.EnvURL:               broker.URL(),
		EnvSMTPAddress:              sink.Addr(),
		EnvSMTPFrom:                 "Shippy <no-reply@shippy.example>",
		platform.EnvServerAddress:   "127.0.0.1:0",
		platform.EnvMetricsAddress:  metricsAddr,
		platform.EnvShutdownTimeout: "5s",
		store.EnvDataDir:            t.TempDir(),
	})
	pub := connect(t, broker.URL())
	now := time.Now().UnixMilli()
	user := func(id, userID, name string) *protoevents.UserCreated {
		return &protoevents.UserCreated{EventId: id, Version: protoevents.Version, OccurredAtUnixMillis: now, UserId: userID, Name: name, Email: strings.ToLower(name) + "@example.com"}
	}
	booking := func(id, consignmentID, userID string) *protoevents.ConsignmentBooked {
		return &protoevents.ConsignmentBooked{EventId: id, Version: protoevents.Version, BookedAtUnixMillis: now,
			ConsignmentId: consignmentID, UserId: userID, VesselId: "vessel001", Containers: 3, Weight: 55000}
	}
	publish(t, pub, protoevents.SubjectUserCreated, "e-ann", user("e-ann", "u-ann", "Ann"))
	publish(t, pub, protoevents.SubjectConsignmentBooked, "e-c1", booking("e-c1", "c-1", "u-ann"))
	publish(t, pub, protoevents.SubjectConsignmentBooked, "e-bad", []byte("not a protobuf message \xff\xff"))
	future := booking("e-c2", "c-2", "u-ann")
	future.Version = protoevents.Version + 1
	publish(t, pub, protoevents.SubjectConsignmentBooked, "e-c2", future)
	publish(t, pub, protoevents.SubjectConsignmentBooked, "e-c3", booking("e-c3", "c-3", "u-ann"))
	// Bob's booking is handled before his user.created is published: it
	// is retried after the first backoff (1s), by which time Bob is known.
	publish(t, pub, protoevents.SubjectConsignmentBooked, "e-c4", booking("e-c4", "c-4", "u-bob"))
	testenv.WaitFor(t, "Bob's booking to fail for an unknown owner", func() bool {
		return strings.Contains(logs.String(), `"event_id":"e-c4","deliveries":"1","error"`)
	})
	publish(t, pub, protoevents.SubjectUserCreated, "e-bob", user("e-bob", "u-bob", "Bob"))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const want = 5 // two welcomes, three confirmations
	msgs, err := sink.Wait(ctx, want)
	if err != nil {
		t.Fatalf("waiting for the mails: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // time for a mail too many
	got := map[string]int{}
	for _, m := range sink.Messages() {
		p, err := m.Parse()
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
		got[m.To[0]+" "+subject]++
	}
	wantMails := []string{
		"ann@example.com Welcome to Shippy",
		"ann@example.com Consignment c-1 booked on vessel vessel001",
		"ann@example.com Consignment c-3 booked on vessel vessel001",
		"bob@example.com Welcome to Shippy",
		"bob@example.com Consignment c-4 booked on vessel vessel001",
	}
	for _, w := range wantMails {
		if got[w] != 1 {
			t.Errorf("mail %q received %d times, want once", w, got[w])
		}
	}
	if len(msgs) > want || len(sink.Messages()) != want {
		t.Errorf("received %d mails, want %d: %v", len(sink.Messages()), want, got)
	}

	// The malformed event and the one of an unknown version are parked,
	// with their reasons.
	dead := deadLetters(t, broker.URL(), 2)
	for id, reason := range map[string]string{"e-bad": "malformed event", "e-c2": "unknown event version"} {
		if !strings.Contains(dead[id], reason) {
			t.Errorf("dead letter of %s has reason %q, want one with %q", id, dead[id], reason)
		}
	}
	testenv.WaitFor(t, "log lines of the parked events", func() bool {
		return strings.Contains(logs.String(), `"event_id":"e-bad"`) && strings.Contains(logs.String(), "event parked")
	})

	rsp, err := http.Get("http://" + metricsAddr + platform.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	body, _ := io.ReadAll(rsp.Body)
	// Bob's booking was retried at least once; Ann's two too, when her
	// user.created was handled after it (the subjects are consumed apart).
	for _, line := range []string{
		`shippy_notification_events_total{outcome="parked",subject="shippy.consignment.booked"} 2\n`,
		`shippy_notification_events_total{outcome="retried",subject="shippy.consignment.booked"} [1-3]\n`,
		`shippy_notification_events_total{outcome="acked",subject="shippy.user.created"} 2\n`,
	} {
		if !regexp.MustCompile(line).Match(body) {
			t.Errorf("metrics lack a line matching %q", line)
		}
	}
}

// TestServeWithoutSMTP checks that without SMTP_ADDRESS the service says
// so, serves, and takes no event from the broker: no consumer is made.
func TestServeWithoutSMTP(t *testing.T) {
	netns.Require(t)
	broker := natstest.Start(t)
	pub := connect(t, broker.URL())
	publish(t, pub, protoevents.SubjectUserCreated, "e-1", &protoevents.UserCreated{
		EventId: "e-1", Version: protoevents.Version, OccurredAtUnixMillis: time.Now().UnixMilli(), UserId: "u-1", Email: "ann@example.com",
	})
	logs := startService(t, map[string]string{
		events.EnvURL:             broker.URL(),
		platform.EnvServerAddress: "127.0.0.1:0",
		store.EnvDataDir:          t.TempDir(),
	})
	if !strings.Contains(logs.String(), "no mail server") || !strings.Contains(logs.String(), EnvSMTPAddress) {
		t.Errorf("logs do not say that there is no mail server:\n%s", logs)
	}
	js := jetStream(t, broker.URL())
	s, err := js.Stream(t.Context(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 || info.State.Msgs != 1 {
		t.Errorf("stream has %d consumers and %d events, want none and the 1 published", info.State.Consumers, info.State.Msgs)
	}
}

// startService runs the service (run) with vars and returns its logs once
// the registry lists it. The service stops when the test ends, and run
// must then return nil; its logs are shown when the test failed.
func startService(t *testing.T, vars map[string]string) *testenv.SyncBuffer {
	t.Helper()
	cfg, err := platform.LoadConfig(storetesting.Getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := testenv.StartProgram(t, run, storetesting.Getenv(vars))
	testenv.WaitFor(t, ServiceName+" registered", func() bool {
		services, err := reg.GetService(ServiceName)
		return err == nil && len(services) > 0 && len(services[0].Nodes) > 0
	})
	return logs
}

// connect returns a Stream on url to publish with, closed when the test
// ends.
func connect(t *testing.T, url string) *events.Stream {
	t.Helper()
	s, err := events.Connect(t.Context(), events.Config{URL: url, Name: "test publisher", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// publish publishes msg (a proto.Message or bytes) on subject with the id.
func publish(t *testing.T, s *events.Stream, subject, id string, msg any) {
	t.Helper()
	if err := s.Publish(subject, msg, events.WithID(id)); err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
}

// jetStream returns a JetStream client of the broker at url.
func jetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// deadLetters waits for n dead letters on the broker at url and returns
// their reasons by event id.
func deadLetters(t *testing.T, url string, n int) map[string]string {
	t.Helper()
	js := jetStream(t, url)
	reasons := map[string]string{}
	testenv.WaitFor(t, "dead letters", func() bool {
		s, err := js.Stream(t.Context(), events.DeadStreamName)
		if err != nil {
			return false
		}
		for seq := uint64(1); ; seq++ {
			m, err := s.GetMsg(t.Context(), seq)
			if err != nil {
				break
			}
			reasons[m.Header.Get(events.HeaderDeadEventID)] = m.Header.Get(events.HeaderDeadReason)
		}
		return len(reasons) >= n
	})
	return reasons
}
