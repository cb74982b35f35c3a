package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("p", maxPasswordBytes)
	tests := []struct {
		name     string
		in       string
		want     string
		wantCode int // for an error
		wantRest string
	}{
		{name: "line", in: "secret\n", want: "secret"},
		{name: "crlf", in: "secret\r\n", want: "secret"},
		{name: "spaces kept", in: "  two words \t\n", want: "  two words \t"},
		{name: "only the first line", in: "first\nsecond\n", want: "first", wantRest: "second\n"},
		{name: "no line ending", in: "secret", want: "secret"},
		{name: "empty line", in: "\n", want: ""},
		{name: "a lone carriage return kept", in: "sec\rret\n", want: "sec\rret"},
		{name: "longest", in: long + "\n", want: long},
		{name: "longest, crlf", in: long + "\r\n", want: long},
		{name: "longest, no line ending", in: long, want: long},
		{name: "too long", in: long + "x\n", wantCode: exitBadInput},
		{name: "too long, no line ending", in: long + "x", wantCode: exitBadInput},
		{name: "too long, cr", in: long + "x\r\n", wantCode: exitBadInput},
		{name: "empty input", in: "", wantCode: exitBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := strings.NewReader(tt.in)
			got, err := readLine(in, maxPasswordBytes)
			if tt.wantCode != 0 {
				if code := exitCode(err); code != tt.wantCode {
					t.Errorf("readLine error %v (exit code %d), want exit code %d", err, code, tt.wantCode)
				}
				if err != nil && strings.Contains(err.Error(), "ppp") {
					t.Errorf("error holds the input: %.60s", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("readLine = %.40q, %v; want %.40q", got, err, tt.want)
			}
			if rest := tt.in[len(tt.in)-in.Len():]; rest != tt.wantRest {
				t.Errorf("left %q unread, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestReadLineReadError(t *testing.T) {
	t.Parallel()
	_, err := readLine(iotest.ErrReader(errors.New("boom")), 10)
	if err == nil || err.Error() != "read password: boom" {
		t.Errorf("readLine error = %v, want read password: boom", err)
	}
}

func TestPasswordsNotATerminal(t *testing.T) {
	t.Parallel()
	var prompt strings.Builder
	p := newPasswords(strings.NewReader("hunter2\n"), &prompt)
	if p.noEcho != nil {
		t.Fatal("a strings.Reader was taken for a terminal")
	}
	got, err := p.Password(t.Context(), "Password: ", true)
	if err != nil || got != "hunter2" {
		t.Errorf("Password = %q, %v; want hunter2", got, err)
	}
	if prompt.Len() > 0 {
		t.Errorf("prompted %q without a terminal", prompt.String())
	}
}

func TestPasswordsTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typed    []string
		confirm  bool
		want     string
		wantCode int
		prompts  string
	}{
		{name: "once", typed: []string{"hunter2"}, want: "hunter2", prompts: "Password: \n"},
		{name: "confirmed", typed: []string{"hunter2", "hunter2"}, confirm: true, want: "hunter2", prompts: "Password: \nAgain: \n"},
		{name: "typed differently", typed: []string{"hunter2", "hunter3"}, confirm: true, wantCode: exitBadInput, prompts: "Password: \nAgain: \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var prompt strings.Builder
			typed := tt.typed
			p := &passwords{prompt: &prompt, noEcho: func(context.Context) ([]byte, error) {
				line := typed[0]
				typed = typed[1:]
				return []byte(line), nil
			}}
			got, err := p.Password(t.Context(), "Password: ", tt.confirm)
			if tt.wantCode != 0 {
				if code := exitCode(err); code != tt.wantCode {
					t.Errorf("Password error %v (exit code %d), want %d", err, code, tt.wantCode)
				}
				if err != nil && strings.Contains(err.Error(), "hunter") {
					t.Errorf("error %q holds a password", err)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("Password = %q, %v; want %q", got, err, tt.want)
			}
			if got := prompt.String(); got != tt.prompts {
				t.Errorf("prompts = %q, want %q", got, tt.prompts)
			}
		})
	}
}

func FuzzReadLine(f *testing.F) {
	for _, s := range []string{"secret\n", "a\r\n", "", "\n", "x\ry\n", strings.Repeat("z", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		const max = 32
		got, err := readLine(strings.NewReader(in), max)
		if err != nil {
			if exitCode(err) != exitBadInput {
				t.Fatalf("error %v, want exit code %d", err, exitBadInput)
			}
			return
		}
		if len(got) > max {
			t.Errorf("got %d bytes, more than %d", len(got), max)
		}
		if strings.Contains(got, "\n") || !strings.HasPrefix(in, got) {
			t.Errorf("readLine(%q) = %q, not the first line of it", in, got)
		}
	})
}
