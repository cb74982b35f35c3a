package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal: the master, which
// plays the user's keyboard and screen, and the terminal the CLI reads.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// echoOn reports whether the terminal tty echoes what is typed.
func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Error(err)
		return false
	}
	return termios.Lflag&unix.ECHO != 0
}

func TestPasswordsFromATerminal(t *testing.T) {
	t.Parallel()
	master, tty := openPTY(t)
	var prompt strings.Builder
	p := newPasswords(tty, &prompt)
	if p.noEcho == nil {
		t.Fatal("a terminal was not taken for one")
	}
	// Type once the prompt has turned echo off: the terminal echoes what
	// is typed as it arrives.
	typed := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for echoOn(t, tty) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		_, err := master.WriteString("hunter2\n")
		typed <- err
	}()
	got, err := p.Password(t.Context(), "Password: ", false)
	if err := <-typed; err != nil {
		t.Fatal(err)
	}
	if err != nil || got != "hunter2" {
		t.Fatalf("Password = %q, %v; want hunter2", got, err)
	}
	if prompt.String() != "Password: \n" {
		t.Errorf("prompt = %q, want %q", prompt.String(), "Password: \n")
	}
	if !echoOn(t, tty) {
		t.Error("echo is off after the password was read")
	}
	// What the terminal showed, up to a marker written after the read:
	// nothing typed may have been echoed.
	if _, err := tty.WriteString("END\n"); err != nil {
		t.Fatal(err)
	}
	var shown []byte
	buf := make([]byte, 256)
	for !strings.Contains(string(shown), "END") {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, buf[:n]...)
	}
	if strings.Contains(string(shown), "hunter2") {
		t.Errorf("the terminal echoed the password: %q", shown)
	}
}

func TestPasswordsInterruptedAtATerminal(t *testing.T) {
	t.Parallel()
	master, tty := openPTY(t)
	p := newPasswords(tty, &strings.Builder{})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := p.Password(ctx, "Password: ", false)
	if err == nil || err.Error() != "interrupted: context canceled" {
		t.Errorf("Password error = %v, want interrupted", err)
	}
	if !echoOn(t, tty) {
		t.Error("echo is off after an interrupted prompt")
	}

	// The interrupted read is left behind, as the CLI leaves it when it
	// exits. Here it must end before the test closes its terminal: when it
	// returns, it restores the terminal state it saved, on its descriptor's
	// number, which by then may be another test's terminal. So turn echo
	// off and type a line: the read returns and turns echo back on, which
	// shows that it is done.
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	termios.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, termios); err != nil {
		t.Fatal(err)
	}
	if _, err := master.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !echoOn(t, tty); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the interrupted read did not end once a line was typed")
		}
	}
}
