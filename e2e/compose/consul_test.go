package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// consulAPI is the HTTP API of a stack's consul service, published on the
// host's loopback.
type consulAPI struct {
	base string
}

// consul returns the API of the stack's consul service.
func (s *stack) consul(t *testing.T) consulAPI {
	t.Helper()
	addr := strings.TrimSpace(s.mustCompose(t, "port", svcConsul, "8500"))
	if addr == "" {
		t.Fatalf("compose port %s 8500: no port published", svcConsul)
	}
	return consulAPI{base: "http://" + addr}
}

// instance is one instance of a service in Consul's health view.
type instance struct {
	id, address string
	// passing: every check of the instance and its node passes.
	passing bool
}

func (i instance) String() string {
	state := "not passing"
	if i.passing {
		state = "passing"
	}
	return fmt.Sprintf("%s at %s (%s)", i.id, i.address, state)
}

// instances returns the instances of service that Consul knows.
func (c consulAPI) instances(ctx context.Context, service string) ([]instance, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/health/service/"+service, nil)
	if err != nil {
		return nil, err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("consul health of %s: %s", service, rsp.Status)
	}
	var entries []struct {
		Service struct{ ID, Address string }
		Checks  []struct{ Status string }
	}
	if err := json.NewDecoder(rsp.Body).Decode(&entries); err != nil {
		return nil, fmt.Errorf("consul health of %s: %w", service, err)
	}
	var is []instance
	for _, e := range entries {
		i := instance{id: e.Service.ID, address: e.Service.Address, passing: true}
		for _, check := range e.Checks {
			i.passing = i.passing && check.Status == "passing"
		}
		is = append(is, i)
	}
	return is, nil
}

// waitPassing waits until the instances of service that Consul shows as
// passing are exactly the ones at the addresses want, and returns when it
// saw them so. It fails t after timeout, with what Consul showed last.
func (c consulAPI) waitPassing(t *testing.T, service string, want []string, timeout time.Duration) time.Time {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		is, err := c.instances(ctx, service)
		cancel()
		var passing []string
		for _, i := range is {
			if i.passing {
				passing = append(passing, i.address)
			}
		}
		if slices.Sort(passing); err == nil && slices.Equal(passing, want) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("Consul: passing instances of %s are not %v after %v: %v (err %v)", service, want, timeout, is, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// containerIP returns the address of the container id on its network.
func containerIP(t *testing.T, id string) string {
	t.Helper()
	ip := strings.TrimSpace(mustDocker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id))
	if ip == "" {
		t.Fatalf("container %s has no address", id)
	}
	return ip
}
