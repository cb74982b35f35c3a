// Works around go-micro v5.12.0 registry/mdns_registry.go (*mdnsRegistry).GetService: every lookup waits out its whole timeout, even once answered.

package micro

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/util/mdns"
	util "go-micro.dev/v5/util/registry"
)

// NewFirstAnswerRegistry returns reg, go-micro's mDNS registry, with
// lookups that return at the first answer. GetService returns the service
// as soon as one instance has answered; the query listens on in the
// background until reg's timeout, and each instance that answers later
// reaches the registry's watchers (go-micro's registry cache, so the
// client's selector) as an "update" event as it answers, and again when
// the query ends. A lookup nobody answers returns no service and no error
// after the timeout, as go-micro's does (the cache reports
// registry.ErrNotFound). Register, Deregister and ListServices are reg's.
// See docs/go-micro-workarounds.md.
func NewFirstAnswerRegistry(reg registry.Registry) registry.Registry {
	o := reg.Options()
	domain := mdnsDomain
	if o.Context != nil {
		if d, ok := o.Context.Value("mdns.domain").(string); ok {
			domain = d
		}
	}
	return &firstAnswerRegistry{Registry: reg, domain: domain, timeout: o.Timeout, watchers: make(map[*laterWatcher]bool)}
}

// mdnsDomain is the domain go-micro's mDNS registry answers in unless its
// options name another (as "mdns.domain" in their context).
const mdnsDomain = "micro"

// firstAnswerRegistry is what NewFirstAnswerRegistry returns.
type firstAnswerRegistry struct {
	registry.Registry
	domain  string
	timeout time.Duration

	mu       sync.Mutex
	watchers map[*laterWatcher]bool
}

// GetService queries mDNS for name and returns what the first instance to
// answer offers; see NewFirstAnswerRegistry. It fails only when the query
// cannot be made (no socket).
func (r *firstAnswerRegistry) GetService(name string, _ ...registry.GetOption) ([]*registry.Service, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	q := &lookup{
		name:    name,
		domain:  r.domain,
		entries: make(chan *mdns.ServiceEntry, 16),
		done:    make(chan error, 1),
		found:   make(map[string]*registry.Service),
	}
	params := mdns.DefaultParams(name)
	params.Context, params.Entries, params.Domain = ctx, q.entries, r.domain
	go func() { q.done <- mdns.Query(params) }()
	for {
		select {
		case e := <-q.entries:
			if q.add(e) == nil {
				continue
			}
			first := util.Copy(q.services())
			go func() {
				defer cancel()
				q.listen(r.publish)
			}()
			return first, nil
		case err := <-q.done:
			cancel()
			if err != nil {
				return nil, err
			}
			q.drain(nil)
			return util.Copy(q.services()), nil
		}
	}
}

// Watch implements registry.Registry: reg's watcher, with the answers
// lookups get after they returned.
func (r *firstAnswerRegistry) Watch(opts ...registry.WatchOption) (registry.Watcher, error) {
	inner, err := r.Registry.Watch(opts...)
	if err != nil {
		return nil, err
	}
	w := &laterWatcher{newAddingWatcher(inner, make(chan *registry.Result, laterBuffer)), watchedService(opts)}
	w.unwatch = func() {
		r.mu.Lock()
		delete(r.watchers, w)
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.watchers[w] = true
	r.mu.Unlock()
	return w, nil
}

// publish hands an update of s to each watcher of its service, without
// waiting: a watcher whose buffer is full misses it.
func (r *firstAnswerRegistry) publish(s *registry.Service) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for w := range r.watchers {
		if w.service != "" && w.service != s.Name {
			continue
		}
		select {
		case w.extra <- &registry.Result{Action: "update", Service: util.CopyService(s)}:
		default:
		}
	}
}

// lookup is one query for a service, and the instances it found, by
// version. It is used by one goroutine at a time: GetService, then listen.
type lookup struct {
	name, domain string
	entries      chan *mdns.ServiceEntry
	done         chan error // mdns.Query's result, once the query ends
	found        map[string]*registry.Service
}

// listen takes the answers that come until the query ends, publishing the
// version each one adds to as it comes, and every version again at the end
// when any came: a watcher made meanwhile, or whose event came before the
// cache held the first answer, sees them then.
func (q *lookup) listen(publish func(*registry.Service)) {
	late := false
	added := func(s *registry.Service) {
		late = true
		publish(s)
	}
	for {
		select {
		case e := <-q.entries:
			if s := q.add(e); s != nil {
				added(s)
			}
		case <-q.done:
			q.drain(added)
			if late {
				for _, s := range q.found {
					publish(s)
				}
			}
			return
		}
	}
}

// drain adds the answers left in entries once the query has ended, calling
// added (when not nil) with the version each one adds to.
func (q *lookup) drain(added func(*registry.Service)) {
	for {
		select {
		case e := <-q.entries:
			if s := q.add(e); s != nil && added != nil {
				added(s)
			}
		default:
			return
		}
	}
}

// add records the instance e announces, and returns the version of the
// service it adds to, or nil when e is no new instance of the service (a
// goodbye, another service, an instance seen already, a record that does
// not decode).
func (q *lookup) add(e *mdns.ServiceEntry) *registry.Service {
	if e.TTL == 0 {
		return nil
	}
	txt, err := decodeTXT(e.InfoFields)
	if err != nil || txt.Service != q.name {
		return nil
	}
	var host net.IP
	switch {
	case len(e.AddrV4) > 0:
		host = e.AddrV4
	case len(e.AddrV6) > 0:
		host = e.AddrV6
	default:
		return nil
	}
	node := &registry.Node{
		Id:       strings.TrimSuffix(e.Name, "."+q.name+"."+q.domain+"."),
		Address:  net.JoinHostPort(host.String(), strconv.Itoa(e.Port)),
		Metadata: txt.Metadata,
	}
	s := q.found[txt.Version]
	if s == nil {
		s = &registry.Service{Name: txt.Service, Version: txt.Version, Endpoints: txt.Endpoints}
		q.found[txt.Version] = s
	}
	for _, n := range s.Nodes {
		if n.Id == node.Id {
			return nil
		}
	}
	s.Nodes = append(s.Nodes, node)
	return s
}

// services lists the versions found.
func (q *lookup) services() []*registry.Service {
	services := make([]*registry.Service, 0, len(q.found))
	for _, s := range q.found {
		services = append(services, s)
	}
	return services
}

// mdnsTXT is what go-micro's mDNS registry puts in an instance's TXT
// record: JSON, compressed with zlib, in hexadecimal, cut into strings of
// at most 255 characters.
type mdnsTXT struct {
	Metadata  map[string]string
	Service   string
	Version   string
	Endpoints []*registry.Endpoint
}

func decodeTXT(fields []string) (mdnsTXT, error) {
	var txt mdnsTXT
	compressed, err := hex.DecodeString(strings.Join(fields, ""))
	if err != nil {
		return txt, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return txt, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return txt, err
	}
	return txt, json.Unmarshal(data, &txt)
}

// laterWatcher is the registry's own watcher of service ("" for every
// service), with the updates published by lookups that returned early.
type laterWatcher struct {
	*addingWatcher
	service string
}

// laterBuffer is how many published updates a watcher holds for Next.
const laterBuffer = 64
