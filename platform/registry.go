package platform

import (
	"fmt"
	"net"
	"net/http"
	"time"

	consulapi "github.com/hashicorp/consul/api"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/consul"

	"github.com/shippy-suite/shippy/platform/internal/micro"
)

// MDNSTimeout is how long an mDNS lookup listens for answers. A lookup
// returns at the first answer, and keeps listening in the background for
// other instances; one that finds nothing waits all of it. go-micro's 100 ms
// was seen to miss a running service under load on 2 cores.
const MDNSTimeout = 300 * time.Millisecond

// MDNSRefreshInterval is how often a client looks up again, in the
// background, each service it watches over mDNS: well inside go-micro's
// registry cache TTL (a minute), so the cached entries never expire while
// their services run.
const MDNSRefreshInterval = 20 * time.Second

// NewRegistry returns the go-micro registry cfg names.
//
// With mDNS, a lookup returns as soon as one instance answers (the others
// reach the client's registry cache as they answer, within MDNSTimeout),
// and clients look up the services they call again in the background every
// MDNSRefreshInterval, so that no call waits for a lookup once the service
// is known (see docs/go-micro-workarounds.md).
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
		mdns := micro.NewFirstAnswerRegistry(registry.NewMDNSRegistry(append(opts, registry.Timeout(MDNSTimeout))...))
		return micro.NewRefreshingRegistry(mdns, MDNSRefreshInterval), nil
	case RegistryConsul:
		// No registry.Timeout: it would cut Consul's blocking queries,
		// which the client's watch holds open for minutes. Connecting is
		// bounded instead, so that a call to an agent that is gone (its
		// container removed) fails fast rather than after 30 s.
		config := consulapi.DefaultNonPooledConfig()
		config.HttpClient = &http.Client{Transport: consulTransport()}
		opts = append(opts, consul.Config(config))
		return micro.NewConsulRegistry(consul.NewConsulRegistry(opts...)), nil
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
