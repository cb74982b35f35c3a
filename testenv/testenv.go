// Package testenv holds what only tests (and the benchmark) run, so that
// the programs link none of it. Its subpackages: netns (a private network
// namespace for mDNS), proc (starting, stopping and measuring programs),
// mongotest (a MongoDB wire server per test binary), natstest (a NATS
// server with JetStream per test), loopbackproxy (a
// command of the FerretDB test image); the ferretdb module, outside the
// workspace, builds that server. This package holds the small helpers that
// tests of several modules share.
package testenv

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SyncBuffer keeps what is written to it: everything, or with Max > 0 only
// the last Max bytes. A logger or a process writes it while a test reads
// it: it is safe for concurrent use. Set Max before the first Write.
type SyncBuffer struct {
	Max int

	mu  sync.Mutex
	buf []byte
}

// Write appends p, dropping the oldest bytes beyond Max. It never fails.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.Max; b.Max > 0 && over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns what the buffer keeps.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// WaitTimeout is how long WaitFor waits.
const WaitTimeout = 5 * time.Second

// WaitFor polls cond every millisecond until it holds, and fails t, saying
// it timed out waiting for what, when it does not within WaitTimeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(WaitTimeout); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s)", what, WaitTimeout)
		}
	}
}

// Receive returns the next value from ch, and fails t, saying it timed out
// waiting for what, when none comes within timeout.
func Receive[T any](t testing.TB, what string, ch <-chan T, timeout time.Duration) T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out waiting for %s (%s)", what, timeout)
		var zero T
		return zero
	}
}

// FreePort returns a port of 127.0.0.1 that nothing listened on a moment
// ago (something else may take it before the test does).
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// RepoRoot returns the nearest directory at or above the working directory
// that holds go.work: the repository root, whose bin/ holds the tools the
// tests run.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work at or above the working directory")
		}
		dir = parent
	}
}

// Program is a program's run function, the one its main calls.
type Program func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// programStopTimeout is how long StartProgram waits for a program to return
// once its context is cancelled.
const programStopTimeout = 30 * time.Second

// StartProgram runs run, with no arguments and its settings from getenv, in
// a goroutine until t ends, and returns what it writes to stdout and
// stderr. When t ends, it cancels run's context and fails t unless run
// returns nil within 30 s; when t failed, it logs the output.
func StartProgram(t testing.TB, run Program, getenv func(string) string) *SyncBuffer {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out := &SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, out, out) }()
	t.Cleanup(func() {
		stop()
		if err := Receive(t, "run to return", done, programStopTimeout); err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
		if t.Failed() {
			t.Logf("output of run:\n%s", out)
		}
	})
	return out
}
