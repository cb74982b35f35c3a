package main

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	microevents "go-micro.dev/v5/events"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	eventspb "github.com/shippy-suite/shippy/proto/events"
	userpb "github.com/shippy-suite/shippy/proto/user"
	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/natstest"
	"github.com/shippy-suite/shippy/testenv/netns"
)

// TestMain runs the tests in a private network namespace: the service
// registers over mDNS.
func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// TestServePublishesUserCreated runs the service with a broker, registers
// a user through its RPC, and checks that one shippy.user.created reaches
// the broker, with the user's id, name and email and nothing else.
func TestServePublishesUserCreated(t *testing.T) {
	netns.Require(t)
	broker := natstest.Start(t)
	vars := map[string]string{
		events.EnvURL:               broker.URL(),
		platform.EnvServerAddress:   "127.0.0.1:0",
		platform.EnvShutdownTimeout: "5s",
		store.EnvDataDir:            t.TempDir(),
	}
	cfg, err := platform.LoadConfig(storetesting.Getenv(vars))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := platform.NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	testenv.StartProgram(t, run, storetesting.Getenv(vars))
	testenv.WaitFor(t, userpb.ServiceName+" registered", func() bool {
		services, err := reg.GetService(userpb.ServiceName)
		return err == nil && len(services) > 0 && len(services[0].Nodes) > 0
	})

	users := userpb.NewUserService(userpb.ServiceName, platform.NewClient(reg))
	rsp, err := users.Create(t.Context(), &userpb.User{Name: "Ann", Company: "Acme", Email: "Ann@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	id := rsp.GetUser().GetId()

	stream, err := events.Connect(t.Context(), events.Config{URL: broker.URL(), Name: t.Name(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer stream.Close()
	ch, err := stream.Consume(eventspb.SubjectUserCreated, microevents.WithGroup("check"))
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	select {
	case e := <-ch:
		var got eventspb.UserCreated
		if err := eventspb.Decode(e.ID, e.Payload, &got); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		want := &eventspb.UserCreated{EventId: e.ID, Version: eventspb.Version, UserId: id, Name: "Ann", Email: "Ann@example.com"}
		if diff := cmp.Diff(want, &got, protocmp.Transform(), protocmp.IgnoreFields(&got, "occurred_at_unix_millis")); diff != "" || got.GetOccurredAtUnixMillis() <= 0 {
			t.Errorf("user.created (-want +got):\n%s", diff)
		}
		if err := e.Ack(); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no user.created on the broker")
	}
	select {
	case e := <-ch:
		t.Errorf("a second user.created: %s", e.ID)
	case <-time.After(500 * time.Millisecond):
	}
}
