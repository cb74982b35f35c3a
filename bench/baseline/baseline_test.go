package baseline

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

var answer = &vesselpb.Vessel{
	Id: "bench-001", Name: "Bench", Capacity: 100, MaxWeight: 1000, Available: true,
	RemainingCapacity: 100, RemainingWeight: 1000,
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGRPCServerAnswersFindAvailable(t *testing.T) {
	t.Parallel()
	srv, err := StartGRPC(answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	conn, err := Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	rsp, err := FindAvailable(testContext(t), conn, &vesselpb.Specification{Capacity: 1, MaxWeight: 1})
	if err != nil {
		t.Fatalf("FindAvailable: %v", err)
	}
	if !proto.Equal(rsp.GetVessel(), answer) {
		t.Errorf("FindAvailable: got %v, want %v", rsp.GetVessel(), answer)
	}
}

func TestStartRefusesNil(t *testing.T) {
	t.Parallel()
	if _, err := StartGRPC(nil); err == nil {
		t.Error("StartGRPC(nil): got no error")
	}
	reg := registry.NewMemoryRegistry()
	for _, tc := range []struct {
		name string
		reg  registry.Registry
		v    *vesselpb.Vessel
	}{
		{"", reg, answer},
		{"bench", nil, answer},
		{"bench", reg, nil},
	} {
		if _, err := StartMicro(tc.name, tc.reg, tc.v, io.Discard); err == nil {
			t.Errorf("StartMicro(%q, %v, %v): got no error", tc.name, tc.reg, tc.v)
		}
	}
}

// TestMicroServer checks the go-micro baseline through the registry with
// the platform's client, and directly with plain gRPC (the go-micro gRPC
// server routes standard method paths). It uses an in-memory registry: no
// mDNS in unit tests.
func TestMicroServer(t *testing.T) {
	t.Parallel()
	const name = "shippy.bench.test"
	reg := registry.NewMemoryRegistry()
	srv, err := StartMicro(name, reg, answer, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	ctx := testContext(t)
	spec := &vesselpb.Specification{Capacity: 1, MaxWeight: 1}

	t.Run("go-micro client", func(t *testing.T) {
		vessels := vesselpb.NewVesselService(name, platform.NewClient(reg))
		rsp, err := vessels.FindAvailable(ctx, spec)
		if err != nil {
			t.Fatalf("FindAvailable: %v", err)
		}
		if !proto.Equal(rsp.GetVessel(), answer) {
			t.Errorf("FindAvailable: got %v, want %v", rsp.GetVessel(), answer)
		}
		_, err = vessels.Create(ctx, answer)
		if got := microerrors.FromError(err).Code; got != http.StatusNotImplemented {
			t.Errorf("Create: got %v (code %d), want code %d", err, got, http.StatusNotImplemented)
		}
	})

	t.Run("plain gRPC client", func(t *testing.T) {
		conn, err := Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		rsp, err := FindAvailable(ctx, conn, spec)
		if err != nil {
			t.Fatalf("FindAvailable: %v", err)
		}
		if !proto.Equal(rsp.GetVessel(), answer) {
			t.Errorf("FindAvailable: got %v, want %v", rsp.GetVessel(), answer)
		}
	})
}
