package natstest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shippy-suite/shippy/testenv/natstest"
)

// TestStart checks that a started server takes connections on its URL and
// that JetStream answers, and that two servers do not share a port.
func TestStart(t *testing.T) {
	t.Parallel()
	first, second := natstest.Start(t), natstest.Start(t)
	if first.URL() == second.URL() {
		t.Fatalf("two servers share the URL %s", first.URL())
	}
	for _, srv := range []*natstest.Server{first, second} {
		js := connect(t, srv)
		info, err := js.AccountInfo(t.Context())
		if err != nil {
			t.Fatalf("AccountInfo of %s: %v", srv.URL(), err)
		}
		if info.Streams != 0 {
			t.Errorf("a new server of %s has %d streams, want 0", srv.URL(), info.Streams)
		}
	}
}

// TestArgs checks that Args reaches the server's command line.
func TestArgs(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t, natstest.Args("--server_name", "natstest-args"))
	resp, err := http.Get(srv.MonitorURL() + "/varz")
	if err != nil {
		t.Fatalf("GET /varz: %v", err)
	}
	defer resp.Body.Close()
	var varz struct {
		ServerName string `json:"server_name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&varz); err != nil {
		t.Fatalf("decode /varz: %v", err)
	}
	if varz.ServerName != "natstest-args" {
		t.Errorf("server_name = %q, want natstest-args", varz.ServerName)
	}
}

// TestStopRestart checks that a stopped or killed server refuses
// connections, and that a restarted one answers at the same URL with the
// streams and acknowledged messages it had, and still deduplicates their
// ids: what tests of a broker restart rely on. (JetStream writes a message
// to its file before it acknowledges it, so even a SIGKILL right after the
// acknowledgement loses nothing.)
func TestStopRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		stop func(*natstest.Server, testing.TB)
	}{
		{"stop", (*natstest.Server).Stop},
		{"kill", (*natstest.Server).Kill},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := natstest.Start(t)
			url := srv.URL()
			js := connect(t, srv)
			if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{
				Name: "RESTART", Subjects: []string{"restart.>"}, Storage: jetstream.FileStorage,
			}); err != nil {
				t.Fatalf("CreateStream: %v", err)
			}
			if _, err := js.Publish(t.Context(), "restart.one", []byte("kept"), jetstream.WithMsgID("one")); err != nil {
				t.Fatalf("Publish: %v", err)
			}

			tc.stop(srv, t)
			if nc, err := nats.Connect(url, nats.NoReconnect(), nats.Timeout(time.Second)); err == nil {
				nc.Close()
				t.Fatalf("connected to %s after %s", url, tc.name)
			}

			srv.Restart(t)
			if srv.URL() != url {
				t.Errorf("URL after restart = %s, want %s", srv.URL(), url)
			}
			js = connect(t, srv)
			stream, err := js.Stream(t.Context(), "RESTART")
			if err != nil {
				t.Fatalf("Stream after restart: %v", err)
			}
			msg, err := stream.GetMsg(t.Context(), 1)
			if err != nil {
				t.Fatalf("GetMsg(1) after restart: %v", err)
			}
			if string(msg.Data) != "kept" {
				t.Errorf("message 1 after restart = %q, want %q", msg.Data, "kept")
			}
			ack, err := js.Publish(t.Context(), "restart.one", []byte("again"), jetstream.WithMsgID("one"))
			if err != nil {
				t.Fatalf("Publish again: %v", err)
			}
			if !ack.Duplicate {
				t.Errorf("a republish of message id one after restart was stored again (sequence %d), want it deduplicated", ack.Sequence)
			}
		})
	}
}

// connect returns a JetStream client of srv, closed when the test ends.
func connect(t *testing.T, srv *natstest.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(srv.URL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect to %s: %v", srv.URL(), err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	return js
}
