package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvToken names the variable that holds a token; --token wins over it, and
// it wins over the stored file.
const EnvToken = "SHIPPY_TOKEN"

// Where a token came from, as errors name it. A token from the file is
// named by the file's path.
const (
	sourceFlag = "--token"
	sourceEnv  = EnvToken
)

// maxTokenBytes bounds a token the CLI accepts or reads from its file.
const maxTokenBytes = 16 << 10

// token is the token every call carries, and where it came from.
type token struct {
	value string
	// source is sourceFlag, sourceEnv or the stored file's path; "" when
	// there is no token.
	source string
}

// tokenLoader reads the stored token: "" and no error when none is stored.
type tokenLoader interface {
	Load() (string, error)
	Path() string
}

// resolveToken returns the token of the command: flagValue (--token) if
// set, else the value of SHIPPY_TOKEN, else the stored one, if any. A token
// given but not in the form of a JWT (visible ASCII only) has exit code
// exitUsage; a damaged stored one, exitAuth. Errors never hold the token.
func resolveToken(flagValue string, getenv func(string) string, stored tokenLoader) (token, error) {
	if flagValue != "" {
		if !isToken(flagValue) {
			return token{}, usageError("%s: not a token (want the JWT login gets)", sourceFlag)
		}
		return token{flagValue, sourceFlag}, nil
	}
	if v := strings.TrimSpace(getenv(EnvToken)); v != "" {
		if !isToken(v) {
			return token{}, errorf(exitUsage, "%s: not a token (want the JWT login gets)", sourceEnv)
		}
		return token{v, sourceEnv}, nil
	}
	v, err := stored.Load()
	if err != nil || v == "" {
		return token{}, err
	}
	return token{v, stored.Path()}, nil
}

// isToken reports whether s can be a token: 1 to maxTokenBytes of visible
// ASCII, which a metadata value can carry as it is.
func isToken(s string) bool {
	if s == "" || len(s) > maxTokenBytes {
		return false
	}
	for i := range len(s) {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// tokenFile is the file login keeps the token in: <config dir>/shippy/token,
// the config dir as os.UserConfigDir finds it. Its directory has mode 0700,
// the file 0600.
type tokenFile struct {
	path string
	// err is why the path is unknown; every method returns it.
	err error
}

// newTokenFile returns the token file of the environment getenv reads.
// Without a config directory nothing is stored: Load finds no token, and
// Save and Remove fail with exit code exitUsage.
func newTokenFile(getenv func(string) string) *tokenFile {
	dir, err := userConfigDir(getenv, runtime.GOOS)
	if err != nil {
		return &tokenFile{err: withCode(exitUsage, fmt.Errorf("token file: %w", err))}
	}
	return &tokenFile{path: filepath.Join(dir, "shippy", "token")}
}

// Path returns the file's path; "" when it is unknown.
func (f *tokenFile) Path() string { return f.path }

// Load returns the stored token: "" when there is no file, or no config
// directory. A file that holds no token has exit code exitAuth.
func (f *tokenFile) Load() (string, error) {
	if f.err != nil {
		return "", nil
	}
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxTokenBytes+2))
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	v := strings.TrimSpace(string(data))
	if v != "" && !isToken(v) {
		return "", errorf(exitAuth, "%s holds no token: run '%s logout', then '%s login --email EMAIL'", f.path, progName, progName)
	}
	return v, nil
}

// Save replaces the stored token with tok atomically: a reader sees the old
// token or the new one, whole. It makes the directory, mode 0700, if it is
// missing; the file has mode 0600.
func (f *tokenFile) Save(tok string) (err error) {
	if f.err != nil {
		return f.err
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".token-*") // mode 0600
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	if _, err := io.WriteString(tmp, tok+"\n"); err != nil {
		return fmt.Errorf("store token: %w", pathError(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store token: %w", pathError(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store token: %w", pathError(err))
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	return nil
}

// Remove deletes the stored token, and reports whether there was one.
func (f *tokenFile) Remove() (bool, error) {
	if f.err != nil {
		return false, f.err
	}
	err := os.Remove(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("remove token: %w", err)
	}
	return true, nil
}

// userConfigDir is os.UserConfigDir for the operating system goos, reading
// the environment through getenv: on Unix $XDG_CONFIG_HOME (absolute) or
// $HOME/.config, on macOS $HOME/Library/Application Support, on Windows
// %AppData%.
func userConfigDir(getenv func(string) string, goos string) (string, error) {
	switch goos {
	case "windows":
		if dir := getenv("AppData"); dir != "" {
			return dir, nil
		}
		return "", errors.New("%AppData% is not set")
	case "darwin", "ios":
		if home := getenv("HOME"); home != "" {
			return home + "/Library/Application Support", nil
		}
		return "", errors.New("HOME is not set")
	case "plan9":
		if home := getenv("home"); home != "" {
			return home + "/lib", nil
		}
		return "", errors.New("$home is not set")
	}
	if dir := getenv("XDG_CONFIG_HOME"); dir != "" {
		if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("XDG_CONFIG_HOME: %q is relative, want an absolute path", dir)
		}
		return dir, nil
	}
	if home := getenv("HOME"); home != "" {
		return home + "/.config", nil
	}
	return "", errors.New("neither XDG_CONFIG_HOME nor HOME is set")
}

// redact returns err with every secret in its message replaced by
// "[redacted]", keeping its exit code; err itself when it holds none.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return withCode(exitCode(err), errors.New(msg))
}
