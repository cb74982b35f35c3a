package testenv

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSyncBuffer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		max  int
		want string
	}{
		{"keeps everything", 0, "abcdefg"},
		{"keeps the end", 4, "defg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &SyncBuffer{Max: tt.max}
			for _, s := range []string{"ab", "cdef", "g"} {
				if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
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
