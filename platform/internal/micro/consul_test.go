package micro

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	consulapi "github.com/hashicorp/consul/api"
	"go-micro.dev/v5/registry"
)

// stubRegistry answers GetService and Deregister with fixed results.
type stubRegistry struct {
	registry.Registry
	services      []*registry.Service
	err           error
	deregisterErr error
}

func (s stubRegistry) GetService(string, ...registry.GetOption) ([]*registry.Service, error) {
	return s.services, s.err
}

func (s stubRegistry) Deregister(*registry.Service, ...registry.DeregisterOption) error {
	return s.deregisterErr
}

func TestConsulRegistryGetService(t *testing.T) {
	t.Parallel()
	node := &registry.Node{Id: "a-1", Address: "127.0.0.1:1"}
	withNode := &registry.Service{Name: "a", Version: "1", Nodes: []*registry.Node{node}}
	withoutNodes := &registry.Service{Name: "a", Version: "2"}
	unreachable := errors.New("connection refused")
	tests := []struct {
		name     string
		services []*registry.Service
		err      error
		want     []*registry.Service
		wantErr  error
	}{
		{name: "unknown name", wantErr: registry.ErrNotFound},
		{name: "every check critical", services: []*registry.Service{withoutNodes}, wantErr: registry.ErrNotFound},
		{name: "one version left", services: []*registry.Service{withoutNodes, withNode}, want: []*registry.Service{withNode}},
		{name: "registry error", err: unreachable, wantErr: unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := consulRegistry{stubRegistry{services: tt.services, err: tt.err}}.GetService("a")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GetService() error = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GetService() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConsulRegistryDeregister(t *testing.T) {
	t.Parallel()
	forbidden := consulapi.StatusError{Code: http.StatusForbidden, Body: "ACL not found"}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{name: "deregistered", err: nil, want: nil},
		{name: "unknown to the agent", err: consulapi.StatusError{Code: http.StatusNotFound, Body: "Unknown service ID"}, want: nil},
		{name: "other answer", err: forbidden, want: forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := consulRegistry{stubRegistry{deregisterErr: tt.err}}.Deregister(&registry.Service{Name: "a"})
			if !errors.Is(err, tt.want) {
				t.Errorf("Deregister() = %v, want %v", err, tt.want)
			}
		})
	}
}
