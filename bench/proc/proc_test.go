package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  string
		want    Memory
		wantErr bool
	}{
		{
			name:   "both",
			status: "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t4\n",
			want:   Memory{RSS: 1024 * 1024, Peak: 2048 * 1024},
		},
		{name: "zombie without memory lines", status: "Name:\tx\nState:\tZ (zombie)\n", wantErr: true},
		{name: "not kB", status: "VmHWM:\t2 MB\nVmRSS:\t1 MB\n", wantErr: true},
		{name: "not a number", status: "VmHWM:\tx kB\nVmRSS:\t1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStatus([]byte(tt.status))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStatus: got error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStatus: got %+v, want %+v", got, tt.want)
			}
		})
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
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
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

func TestTailKeepsTheEnd(t *testing.T) {
	t.Parallel()
	tl := &tail{max: 4}
	for _, s := range []string{"ab", "cdef", "g"} {
		tl.Write([]byte(s))
	}
	if got, want := tl.String(), "defg"; got != want {
		t.Errorf("tail: got %q, want %q", got, want)
	}
}
