// Works around go-micro v5.12.0 registry/consul/consul.go (*consulRegistry).GetService and Deregister: nodeless versions, no ErrNotFound, and a 404 on a node already gone.

package micro

import (
	"errors"
	"net/http"

	consulapi "github.com/hashicorp/consul/api"
	"go-micro.dev/v5/registry"
)

// NewConsulRegistry returns reg, go-micro's Consul registry, with two edges
// smoothed. GetService leaves out the versions of a service that have no
// node, and reports registry.ErrNotFound when none remain, as the mDNS
// registry does (go-micro's returns a version without nodes when every
// instance's check is critical, and nothing at all for an unknown name,
// which its client then reports as "none available" rather than "not
// found"). Deregister of a node the agent does not know (deregistered
// already, or registered with an agent that restarted since) succeeds: a
// stopping service deregisters twice, before its drain and as go-micro stops
// its server. See docs/go-micro-workarounds.md.
func NewConsulRegistry(reg registry.Registry) registry.Registry {
	return consulRegistry{reg}
}

// consulRegistry is what NewConsulRegistry returns.
type consulRegistry struct {
	registry.Registry
}

func (r consulRegistry) GetService(name string, opts ...registry.GetOption) ([]*registry.Service, error) {
	services, err := r.Registry.GetService(name, opts...)
	if err != nil {
		return nil, err
	}
	var found []*registry.Service
	for _, s := range services {
		if len(s.Nodes) > 0 {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return nil, registry.ErrNotFound
	}
	return found, nil
}

func (r consulRegistry) Deregister(s *registry.Service, opts ...registry.DeregisterOption) error {
	err := r.Registry.Deregister(s, opts...)
	if status := (consulapi.StatusError{}); errors.As(err, &status) && status.Code == http.StatusNotFound {
		return nil
	}
	return err
}
