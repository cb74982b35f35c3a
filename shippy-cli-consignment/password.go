package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// maxPasswordBytes bounds a password line read from standard input. The
// user service sets the real limits.
const maxPasswordBytes = 1024

// passwordReader reads the password of user create and login.
type passwordReader interface {
	// Password returns a password, asking with prompt; confirm asks twice
	// where a typing mistake could go unseen.
	Password(ctx context.Context, prompt string, confirm bool) (string, error)
}

// passwords reads passwords from standard input: at a prompt, without
// echo, when it is a terminal; otherwise one line of it.
type passwords struct {
	in     io.Reader
	prompt io.Writer
	// noEcho reads a line from the terminal without echo; nil when in is
	// not a terminal.
	noEcho func(ctx context.Context) ([]byte, error)
}

var _ passwordReader = (*passwords)(nil)

// newPasswords returns the passwordReader of the standard input in,
// prompting on prompt (standard error, so that standard output stays the
// command's result).
func newPasswords(in io.Reader, prompt io.Writer) *passwords {
	p := &passwords{in: in, prompt: prompt}
	if f, ok := in.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		p.noEcho = terminalReader(int(f.Fd()))
	}
	return p
}

// terminalReader reads a line from the terminal fd without echo. When ctx
// ends first (Ctrl-C), it gives the terminal its echo back and returns the
// context's error; the read it leaves behind ends with the process.
func terminalReader(fd int) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		state, err := term.GetState(fd)
		if err != nil {
			return nil, err
		}
		type result struct {
			line []byte
			err  error
		}
		done := make(chan result, 1)
		go func() {
			line, err := term.ReadPassword(fd)
			done <- result{line, err}
		}()
		select {
		case r := <-done:
			return r.line, r.err
		case <-ctx.Done():
			term.Restore(fd, state)
			return nil, context.Cause(ctx)
		}
	}
}

// Password implements passwordReader. From a terminal it asks with prompt
// (twice with confirm); otherwise it reads one line of standard input,
// without its line ending (\n or \r\n), and no prompt. Errors have exit
// code exitBadInput and never hold the password.
func (p *passwords) Password(ctx context.Context, prompt string, confirm bool) (string, error) {
	if p.noEcho == nil {
		return readLine(p.in, maxPasswordBytes)
	}
	first, err := p.ask(ctx, prompt)
	if err != nil || !confirm {
		return first, err
	}
	again, err := p.ask(ctx, "Again: ")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", errorf(exitBadInput, "the passwords typed differ")
	}
	return first, nil
}

// ask prompts on the terminal and reads a line without echo.
func (p *passwords) ask(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(p.prompt, prompt)
	line, err := p.noEcho(ctx)
	fmt.Fprintln(p.prompt) // the Enter typed was not echoed
	if ctx.Err() != nil {
		return "", fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(line), nil
}

// readLine reads one line of in, a byte at a time so that nothing after it
// is consumed, and returns it without its line ending (\n or \r\n). A last
// line without one counts. No line at all, or one longer than max bytes, is
// an error with exit code exitBadInput.
func readLine(in io.Reader, max int) (string, error) {
	tooLong := errorf(exitBadInput, "the password on standard input is longer than %d bytes", max)
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				if s := strings.TrimSuffix(string(line), "\r"); len(s) <= max {
					return s, nil
				}
				return "", tooLong
			}
			if len(line) > max { // max bytes and a \r may yet come
				return "", tooLong
			}
			line = append(line, b[0])
		}
		switch {
		case errors.Is(err, io.EOF) && len(line) == 0:
			return "", errorf(exitBadInput, "no password: standard input is empty")
		case errors.Is(err, io.EOF) && len(line) > max:
			return "", tooLong
		case errors.Is(err, io.EOF):
			return string(line), nil
		case err != nil:
			return "", fmt.Errorf("read password: %w", err)
		}
	}
}
