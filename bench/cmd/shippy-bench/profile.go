package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"
)

// profileServices starts fetching a CPU profile of load key, as long as
// one measurement, from each service that serves pprof at its address in
// addrs (by program name), and returns a function that waits for them and
// returns the paths written. A service built without the pprof hook is
// reported and skipped.
func (b *bench) profileServices(ctx context.Context, key string, d time.Duration, addrs map[string]string) func() []string {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		paths []string
	)
	seconds := max(1, int(d.Seconds()))
	for prog, addr := range addrs {
		wg.Go(func() {
			path := filepath.Join(b.cfg.profileDir, prog+"-"+key+".pprof")
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
			if err := fetch(ctx, url, path); err != nil {
				b.logf("no CPU profile of %s (build it with make bench-profile): %v", prog, err)
				return
			}
			mu.Lock()
			paths = append(paths, path)
			mu.Unlock()
		})
	}
	return func() []string {
		wg.Wait()
		return paths
	}
}

// fetch writes the body of a GET of url to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, rsp.Status)
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, rsp.Body)
		return err
	})
}
