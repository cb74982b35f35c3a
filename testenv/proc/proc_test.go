package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParseStatus parses the status of a running process, and refuses
// what is not one.
func TestParseStatus(t *testing.T) {
	t.Parallel()
	status := "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nRssAnon:\t     512 kB\nThreads:\t4\n"
	want := Status{Memory: Memory{RSS: 1024 * 1024, Peak: 2048 * 1024}, Anon: 512 * 1024, Threads: 4}
	if got, err := parseStatus([]byte(status)); err != nil || got != want {
		t.Errorf("parseStatus: got %+v, %v; want %+v", got, err, want)
	}
	for name, status := range map[string]string{
		"zombie without memory lines": "Name:\tx\nState:\tZ (zombie)\n",
		"not kB":                      "VmHWM:\t2 MB\nVmRSS:\t1 MB\nRssAnon:\t1 MB\nThreads:\t4\n",
		"not a number":                "VmHWM:\tx kB\nVmRSS:\t1 kB\nRssAnon:\t1 kB\nThreads:\t4\n",
		"threads in kB":               "VmHWM:\t2 kB\nVmRSS:\t1 kB\nRssAnon:\t1 kB\nThreads:\t4 kB\n",
	} {
		if got, err := parseStatus([]byte(status)); err == nil || got != (Status{}) {
			t.Errorf("%s: parseStatus = %+v, %v; want an error", name, got, err)
		}
	}
}

// The tests that start processes do not run in parallel: writing an
// executable while another goroutine forks can fail its exec with "text file
// busy" (ETXTBSY).

// startScript starts a shell script that runs setup, then says it is ready,
// then runs body; it returns once the script is ready.
func startScript(t *testing.T, setup, body string) *Process {
	t.Helper()
	dir := t.TempDir()
	path, ready := filepath.Join(dir, "prog"), filepath.Join(dir, "ready")
	text := "#!/bin/sh\n" + setup + "\ntouch " + ready + "\n" + body + "\n"
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Start(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatal("the script did not get ready within 10s")
		}
	}
}

const loop = "while :; do sleep 0.01; done"

func TestStopAfterSIGTERM(t *testing.T) {
	// The shell runs its TERM trap once the current sleep ends.
	p := startScript(t, "trap 'exit 0' TERM", loop)
	mem, err := ReadMemory(p.Pid())
	if err != nil {
		t.Fatalf("ReadMemory: %v", err)
	}
	if mem.RSS <= 0 || mem.Peak < mem.RSS {
		t.Errorf("ReadMemory: got %+v, want 0 < RSS <= Peak", mem)
	}
	st, err := ReadStatus(p.Pid())
	if err != nil {
		t.Fatalf("ReadStatus: %v", err)
	}
	if st.Anon <= 0 || st.Anon > st.RSS || st.Threads < 1 {
		t.Errorf("ReadStatus: got %+v, want 0 < Anon <= RSS and a thread at least", st)
	}
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if got := p.ExitCode(); got != 0 {
		t.Errorf("ExitCode() after Stop = %d, want 0", got)
	}
}

func TestStopReportsFailures(t *testing.T) {
	tests := []struct {
		name        string
		setup, body string
		waitExit    bool
		want        string
	}{
		{"exits 3 on SIGTERM", "trap 'echo bye >&2; exit 3' TERM", loop, false, "exit status 3: bye"},
		{"ignores SIGTERM", "trap '' TERM", loop, false, "killed"},
		{"exited before", "", "echo broken >&2; exit 1", true, "had exited before it was stopped: prog exit status 1: broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startScript(t, tt.setup, tt.body)
			if tt.waitExit {
				<-p.Exited()
			}
			err := p.Stop(300 * time.Millisecond)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Stop: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestKill(t *testing.T) {
	// A TERM trap does not stop SIGKILL.
	p := startScript(t, "trap '' TERM", loop)
	if got := p.State(); got != "running" {
		t.Errorf("State() before Kill = %q, want running", got)
	}
	if err := p.Kill(5 * time.Second); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if got := p.State(); got != "signal: killed" {
		t.Errorf("State() after Kill = %q, want signal: killed", got)
	}
	if err := p.Kill(time.Second); err == nil || !strings.Contains(err.Error(), "had exited before it was killed") {
		t.Errorf("Kill of an exited process: got %v, want an error saying it had exited", err)
	}
}
