package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/testenv"
)

// envEcho makes the test binary the server of the tests: an echo server on
// the address it names, which exits 0 on SIGTERM, or, with "exit", a server
// that exits 3 at once.
const envEcho = "LOOPBACKPROXY_TEST_ECHO"

func TestMain(m *testing.M) {
	if addr := os.Getenv(envEcho); addr != "" {
		os.Exit(echoServer(addr))
	}
	os.Exit(m.Run())
}

// echoServer is the server the tests run behind the proxy.
func echoServer(addr string) int {
	if addr == "exit" {
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 1
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	<-ctx.Done()
	ln.Close()
	return 0
}

// echo sends line through addr and returns what comes back, retrying while
// the server is not listening yet.
func echo(t *testing.T, addr, line string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := tryEcho(addr, line)
		if err == nil {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("echo through %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tryEcho(addr, line string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestForwardsThenStopsTheServer(t *testing.T) {
	listen, to := "127.0.0.1:"+testenv.FreePort(t), "127.0.0.1:"+testenv.FreePort(t)
	t.Setenv(envEcho, to)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", listen, "-to", to, "--", os.Args[0]}, io.Discard, io.Discard)
	}()

	for _, line := range []string{"ping", "pong"} {
		if got, want := echo(t, listen, line), line+"\n"; got != want {
			t.Errorf("echo through the proxy: got %q, want %q", got, want)
		}
	}
	cancel()
	if err := testenv.Receive(t, "run to return after its context was done", done, 10*time.Second); err != nil {
		t.Errorf("run after SIGTERM: %v, want nil (the server exited 0)", err)
	}
	if _, err := tryEcho(listen, "after"); err == nil {
		t.Errorf("the proxy still forwards after it stopped")
	}
}

func TestServerExitingByItselfIsAnError(t *testing.T) {
	t.Setenv(envEcho, "exit")
	listen, to := "127.0.0.1:"+testenv.FreePort(t), "127.0.0.1:"+testenv.FreePort(t)
	err := run(context.Background(), []string{"-listen", listen, "-to", to, os.Args[0]}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "exited by itself") {
		t.Errorf("run = %v, want an error saying the server exited by itself", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no listen", []string{"-to", "127.0.0.1:1", "server"}, "-listen: required"},
		{"no to", []string{"-listen", "127.0.0.1:0", "server"}, "-to: required"},
		{"no command", []string{"-listen", "127.0.0.1:0", "-to", "127.0.0.1:1"}, "no server command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
