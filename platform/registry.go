package platform

import (
	"fmt"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/registry/consul"
)

// NewRegistry returns the go-micro registry cfg names.
func NewRegistry(cfg Config) (registry.Registry, error) {
	opts := []registry.Option{registry.Addrs(cfg.RegistryAddresses...)}
	switch cfg.Registry {
	case RegistryMDNS:
		return registry.NewMDNSRegistry(opts...), nil
	case RegistryConsul:
		return consul.NewConsulRegistry(opts...), nil
	default:
		return nil, fmt.Errorf("%s: %q is not supported (want %s or %s)", EnvRegistry, cfg.Registry, RegistryMDNS, RegistryConsul)
	}
}
