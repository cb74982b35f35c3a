package e2e

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// killWait bounds the time a killed process takes to exit.
const killWait = 5 * time.Second

// kill sends SIGKILL, a crash: the service neither deregisters nor drains,
// and its stores are not closed. It waits for the process to exit, and
// fails t when it had exited before.
func (s *service) kill(t testing.TB) {
	t.Helper()
	s.stopped = true
	if s.hasExited() {
		t.Errorf("%s had exited before it was killed: %s", s.prog, s.cmd.ProcessState)
		return
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL %s: %v", s.prog, err)
	}
	select {
	case <-s.exited:
	case <-time.After(killWait):
		t.Fatalf("%s did not exit within %s of SIGKILL", s.prog, killWait)
	}
}

// memory is a process's use of memory and threads, from /proc/PID/status.
type memory struct {
	// rssAnon is the anonymous resident memory (heap, stacks, the race
	// detector's shadow), in kB: what a leak grows. It leaves out the
	// mapped database file, which grows with the data by design.
	rssAnon int64
	// rss is all resident memory (VmRSS), in kB.
	rss int64
	// threads is the number of OS threads.
	threads int64
}

func (m memory) String() string {
	return fmt.Sprintf("RssAnon %d kB, VmRSS %d kB, %d threads", m.rssAnon, m.rss, m.threads)
}

// memory reads the memory use of the running service, or fails t.
func (s *service) memory(t testing.TB) memory {
	t.Helper()
	if s.hasExited() {
		t.Fatalf("%s has exited: %s", s.prog, s.cmd.ProcessState)
	}
	path := fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("memory of %s: %v", s.prog, err)
	}
	defer f.Close()
	var m memory
	fields := map[string]*int64{"RssAnon": &m.rssAnon, "VmRSS": &m.rss, "Threads": &m.threads}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		dst := fields[key]
		if !ok || dst == nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, key, err)
		}
		*dst = n
		delete(fields, key)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(fields) > 0 {
		t.Fatalf("%s has no %v", path, slices.Sorted(maps.Keys(fields)))
	}
	return m
}
