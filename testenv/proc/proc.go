// Package proc starts the programs that tests and benchmarks run, reads
// their memory use from /proc, and stops them the way an operator would
// (SIGTERM, then a bounded wait) or crashes them (SIGKILL).
package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shippy-suite/shippy/testenv"
)

// stderrTail is how much of the end of a program's stderr ExitError shows.
const stderrTail = 4096

// Process is one running program started by Start or StartCommand. Its
// methods are safe for concurrent use.
type Process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	// stderr keeps the end of what the program wrote to stderr, for errors.
	stderr *testenv.SyncBuffer
}

// Start starts the program at path with exactly the environment env and
// the arguments args, writing its stdout and stderr to out (nil discards
// them). It returns once the process exists; it does not wait for the
// program to be ready.
func Start(path string, env []string, out io.Writer, args ...string) (*Process, error) {
	if out == nil {
		out = io.Discard
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	return StartCommand(cmd)
}

// StartCommand starts cmd, which the caller has set up (environment,
// directory, writers: nil ones discard), as Start does.
func StartCommand(cmd *exec.Cmd) (*Process, error) {
	p := &Process{
		name:   filepath.Base(cmd.Path),
		cmd:    cmd,
		exited: make(chan struct{}),
		stderr: &testenv.SyncBuffer{Max: stderrTail},
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.stderr
	} else {
		cmd.Stderr = io.MultiWriter(cmd.Stderr, p.stderr)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Name is the program's file name.
func (p *Process) Name() string { return p.name }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// HasExited reports whether the process has exited.
func (p *Process) HasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// ExitCode is the process's exit code, or -1 while it runs or when a
// signal ended it.
func (p *Process) ExitCode() int {
	if !p.HasExited() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// State says how the process ended ("exit status 1", "signal: killed"), or
// "running".
func (p *Process) State() string {
	if !p.HasExited() {
		return "running"
	}
	return p.cmd.ProcessState.String()
}

// ExitError describes how the process ended, with the end of its stderr.
// Call it only after Exited is closed.
func (p *Process) ExitError() error {
	msg := strings.TrimSpace(p.stderr.String())
	if msg == "" {
		return fmt.Errorf("%s %s", p.name, p.cmd.ProcessState)
	}
	return fmt.Errorf("%s %s: %s", p.name, p.cmd.ProcessState, msg)
}

// Stop sends SIGTERM and waits up to grace for the process to exit; it kills
// the process when it does not. It returns an error unless the process
// exited 0 within grace, including when it had exited before.
func (p *Process) Stop(grace time.Duration) error {
	if p.HasExited() {
		return fmt.Errorf("%s had exited before it was stopped: %w", p.name, p.ExitError())
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, grace)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("stop %s: %w", p.name, p.ExitError())
	}
	return nil
}

// Kill sends SIGKILL, a crash: the program runs no shutdown code. It waits
// up to wait for the process to exit, and returns an error when it does not
// or when it had exited before.
func (p *Process) Kill(wait time.Duration) error {
	if p.HasExited() {
		return fmt.Errorf("%s had exited before it was killed: %w", p.name, p.ExitError())
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGKILL %s: %w", p.name, err)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
		return fmt.Errorf("%s did not exit within %s of SIGKILL", p.name, wait)
	}
}

// Memory is a process's resident memory, in bytes.
type Memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// Peak is the largest RSS since the process started (VmHWM).
	Peak int64
}

// ReadMemory reads the memory of process pid from /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	s, err := ReadStatus(pid)
	if err != nil {
		return Memory{}, fmt.Errorf("read memory: %w", err)
	}
	return s.Memory, nil
}

// Status is what ReadStatus reads of a process: its memory, in bytes, and
// its threads.
type Status struct {
	Memory
	// Anon is the anonymous resident memory (RssAnon: heap, stacks, the
	// race detector's shadow): what a leak grows. It leaves out mapped
	// files, such as a database file that grows with the data by design.
	Anon int64
	// Threads is the number of OS threads.
	Threads int64
}

// String gives the sizes in kB, as /proc does.
func (s Status) String() string {
	return fmt.Sprintf("RssAnon %d kB, VmRSS %d kB, %d threads", s.Anon>>10, s.RSS>>10, s.Threads)
}

// ReadStatus reads the status of process pid from /proc/<pid>/status.
func ReadStatus(pid int) (Status, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return Status{}, err
	}
	s, err := parseStatus(data)
	if err != nil {
		return Status{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// parseStatus reads VmRSS, VmHWM, RssAnon (each given in kB: "VmRSS:\t
// 12345 kB") and Threads from the text of /proc/<pid>/status.
func parseStatus(status []byte) (Status, error) {
	var s Status
	type field struct {
		dst  *int64
		unit int64 // bytes per unit given; 0 for a plain count
	}
	want := map[string]field{
		"VmRSS":   {&s.RSS, 1024},
		"VmHWM":   {&s.Peak, 1024},
		"RssAnon": {&s.Anon, 1024},
		"Threads": {&s.Threads, 0},
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		f, found := want[key]
		if !ok || !found {
			continue
		}
		fields := strings.Fields(value)
		if f.unit != 0 && (len(fields) != 2 || fields[1] != "kB") || f.unit == 0 && len(fields) != 1 {
			return Status{}, fmt.Errorf("%s: unexpected value %q", key, value)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return Status{}, fmt.Errorf("%s: %w", key, err)
		}
		if f.unit != 0 {
			n *= f.unit
		}
		*f.dst = n
		delete(want, key)
	}
	if len(want) > 0 {
		return Status{}, fmt.Errorf("no %s (not a running process?)", strings.Join(slices.Sorted(maps.Keys(want)), ", "))
	}
	return s, nil
}
