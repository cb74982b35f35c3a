package testenv

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSyncBuffer writes "ab", "cdef", "g": a buffer keeps them all, one of
// Max 4 only the last four bytes.
func TestSyncBuffer(t *testing.T) {
	t.Parallel()
	for max, want := range map[int]string{0: "abcdefg", 4: "defg"} {
		b := &SyncBuffer{Max: max}
		for _, s := range []string{"ab", "cdef", "g"} {
			if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Max %d: Write(%q) = %d, %v; want %d, nil", max, s, n, err, len(s))
			}
		}
		if got := b.String(); got != want {
			t.Errorf("Max %d: String() = %q, want %q", max, got, want)
		}
	}
}

// TestSyncBufferConcurrent writes from several goroutines while reading:
// the race detector checks the locking, and nothing written is lost.
func TestSyncBufferConcurrent(t *testing.T) {
	t.Parallel()
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 400) {
		t.Errorf("String() has %d bytes, want 400", len(got))
	}
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	var polls atomic.Int32
	WaitFor(t, "the third poll", func() bool { return polls.Add(1) == 3 })
	if got := polls.Load(); got != 3 {
		t.Errorf("polled %d times, want 3", got)
	}
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:"+FreePort(t))
	if err != nil {
		t.Fatalf("listen on the free port: %v", err)
	}
	ln.Close()
}
