// Package proc starts the programs a benchmark measures, reads their memory
// use from /proc, and stops them the way an operator would (SIGTERM, then a
// bounded wait).
package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one running program started by Start.
type Process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	// stderr keeps the end of what the program wrote to stderr, for errors.
	stderr *tail
}

// Start starts the program at path with exactly the environment env and
// the arguments args, writing its stdout and stderr to out (nil discards
// them). It returns once the process exists; it does not wait for the
// program to be ready.
func Start(path string, env []string, out io.Writer, args ...string) (*Process, error) {
	if out == nil {
		out = io.Discard
	}
	p := &Process{
		name:   filepath.Base(path),
		cmd:    exec.Command(path, args...),
		exited: make(chan struct{}),
		stderr: &tail{max: 4096},
	}
	p.cmd.Env = env
	p.cmd.Stdout = out
	p.cmd.Stderr = io.MultiWriter(out, p.stderr)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.cmd.Wait()
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
	select {
	case <-p.exited:
		return fmt.Errorf("%s had exited before it was stopped: %w", p.name, p.ExitError())
	default:
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

// Memory is a process's resident memory, in bytes.
type Memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// Peak is the largest RSS since the process started (VmHWM).
	Peak int64
}

// ReadMemory reads the memory of process pid from /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory: %w", err)
	}
	return parseStatus(data)
}

// parseStatus reads VmRSS and VmHWM from the text of /proc/<pid>/status,
// where they are given in kB ("VmRSS:\t   12345 kB").
func parseStatus(status []byte) (Memory, error) {
	var m Memory
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return Memory{}, fmt.Errorf("read memory: %s: unexpected value %q", key, value)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("read memory: %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb * 1024
		} else {
			m.Peak = kb * 1024
		}
		found++
	}
	if found != 2 {
		return Memory{}, errors.New("read memory: VmRSS or VmHWM missing (not a running process?)")
	}
	return m, nil
}

// tail is a writer that keeps the last max bytes written to it. exec's
// copying goroutine writes it while ExitError reads it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
