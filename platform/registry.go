package platform

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	consulapi "github.com/hashicorp/consul/api"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/consul"
)

// MDNSTimeout is how long an mDNS lookup listens for answers. Every uncached
// lookup waits all of it. go-micro's 100 ms was seen to miss a running
// service under load on 2 cores.
const MDNSTimeout = 300 * time.Millisecond

// NewRegistry returns the go-micro registry cfg names.
//
// With mDNS, clients look up the services they call again in the
// background every MDNSRefreshInterval (see refreshingRegistry), so that no
// call waits for a lookup once the service is known.
//
// With Consul, services register with a TTL check (cfg.RegisterTTL) that
// they renew every cfg.RegisterInterval, registering again when the agent no
// longer knows them (it restarted). An instance that stops renewing is left
// out of GetService once its check turns critical, within the TTL; Consul
// itself removes it a minute later.
func NewRegistry(cfg Config) (registry.Registry, error) {
	opts := []registry.Option{registry.Addrs(cfg.RegistryAddresses...)}
	switch cfg.Registry {
	case RegistryMDNS:
		mdns := registry.NewMDNSRegistry(append(opts, registry.Timeout(MDNSTimeout))...)
		return refreshingRegistry{Registry: mdns, interval: MDNSRefreshInterval}, nil
	case RegistryConsul:
		// No registry.Timeout: it would cut Consul's blocking queries,
		// which the client's watch holds open for minutes. Connecting is
		// bounded instead, so that a call to an agent that is gone (its
		// container removed) fails fast rather than after 30 s.
		config := consulapi.DefaultNonPooledConfig()
		config.HttpClient = &http.Client{Transport: consulTransport()}
		opts = append(opts, consul.Config(config))
		return consulRegistry{consul.NewConsulRegistry(opts...)}, nil
	default:
		return nil, fmt.Errorf("%s: %q is not supported (want %s or %s)", EnvRegistry, cfg.Registry, RegistryMDNS, RegistryConsul)
	}
}

// ConsulDialTimeout bounds connecting to the Consul agent.
const ConsulDialTimeout = 2 * time.Second

// consulTransport is Consul's own non-pooled transport with a short connect
// timeout.
func consulTransport() *http.Transport {
	t := consulapi.DefaultNonPooledConfig().Transport.Clone()
	t.DialContext = (&net.Dialer{Timeout: ConsulDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// consulRegistry smooths two edges of go-micro's Consul registry.
//
// GetService leaves out the versions of a service that have no node, and
// reports registry.ErrNotFound when none remain, as the mDNS registry does:
// go-micro's returns a service without nodes when every instance's check is
// critical, and nothing at all for an unknown name, which its client then
// reports as "none available" rather than the "not found" callers look for.
//
// Deregister of a node the agent does not know (already deregistered, or
// registered with an agent that restarted since) succeeds: the node is not
// registered, which is what was asked. A stopping service deregisters twice,
// once before its drain and once as go-micro stops its server.
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
