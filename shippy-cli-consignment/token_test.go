package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeStored is a stored token in memory.
type fakeStored struct {
	token string
	err   error
	loads int
}

func (f *fakeStored) Load() (string, error) { f.loads++; return f.token, f.err }
func (f *fakeStored) Path() string          { return "/cfg/shippy/token" }

func TestResolveToken(t *testing.T) {
	t.Parallel()
	damaged := errorf(exitAuth, "damaged")
	tests := []struct {
		name     string
		flag     string
		env      string
		stored   *fakeStored
		want     token
		wantCode int // for an error
		wantLoad bool
	}{
		{name: "none", stored: &fakeStored{}, want: token{}, wantLoad: true},
		{name: "file", stored: &fakeStored{token: "f.f.f"}, want: token{"f.f.f", "/cfg/shippy/token"}, wantLoad: true},
		{name: "env wins over the file", env: "e.e.e", stored: &fakeStored{token: "f.f.f"}, want: token{"e.e.e", sourceEnv}},
		{name: "env, spaces trimmed", env: " e.e.e\n", stored: &fakeStored{}, want: token{"e.e.e", sourceEnv}},
		{name: "flag wins over env and file", flag: "t.t.t", env: "e.e.e", stored: &fakeStored{token: "f.f.f"}, want: token{"t.t.t", sourceFlag}},
		{name: "flag wins over a damaged file", flag: "t.t.t", stored: &fakeStored{err: damaged}, want: token{"t.t.t", sourceFlag}},
		{name: "blank env: the file", env: "  ", stored: &fakeStored{token: "f.f.f"}, want: token{"f.f.f", "/cfg/shippy/token"}, wantLoad: true},
		{name: "flag not a token", flag: "a b", stored: &fakeStored{}, wantCode: exitUsage},
		{name: "env not a token", env: "a\x00b", stored: &fakeStored{}, wantCode: exitUsage},
		{name: "damaged file", stored: &fakeStored{err: damaged}, wantCode: exitAuth, wantLoad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string {
				if k == EnvToken {
					return tt.env
				}
				return ""
			}
			got, err := resolveToken(tt.flag, getenv, tt.stored)
			if tt.wantCode != 0 {
				if code := exitCode(err); code != tt.wantCode {
					t.Errorf("resolveToken error %v (exit code %d), want exit code %d", err, code, tt.wantCode)
				}
				for _, secret := range []string{tt.flag, tt.env} {
					if secret != "" && err != nil && strings.Contains(err.Error(), secret) {
						t.Errorf("error %q holds the token", err)
					}
				}
			} else if err != nil || got != tt.want {
				t.Errorf("resolveToken = %+v, %v; want %+v", got, err, tt.want)
			}
			if loaded := tt.stored.loads > 0; loaded != tt.wantLoad {
				t.Errorf("read the file: %v, want %v", loaded, tt.wantLoad)
			}
		})
	}
}

func TestUserConfigDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goos    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"linux", map[string]string{"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/a"}, "/x/cfg", ""},
		{"linux", map[string]string{"HOME": "/home/a"}, "/home/a/.config", ""},
		{"linux", map[string]string{"XDG_CONFIG_HOME": "data", "HOME": "/home/a"}, "", `XDG_CONFIG_HOME: "data" is relative, want an absolute path`},
		{"linux", nil, "", "neither XDG_CONFIG_HOME nor HOME is set"},
		{"darwin", map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/Users/a"}, "/Users/a/Library/Application Support", ""},
		{"windows", map[string]string{"AppData": `C:\Users\a\AppData\Roaming`}, `C:\Users\a\AppData\Roaming`, ""},
		{"windows", map[string]string{"HOME": "/h"}, "", "%AppData% is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+" "+tt.want+tt.wantErr, func(t *testing.T) {
			t.Parallel()
			got, err := userConfigDir(func(k string) string { return tt.env[k] }, tt.goos)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("userConfigDir = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("userConfigDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// mode returns the permission bits of the file at path.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestTokenFile(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "new-config") // missing: Save makes it
	f := newTokenFile(func(k string) string { return map[string]string{"XDG_CONFIG_HOME": config}[k] })
	if got, want := f.Path(), filepath.Join(config, "shippy", "token"); got != want {
		t.Fatalf("Path() = %q, want %q", got, want)
	}

	if tok, err := f.Load(); tok != "" || err != nil {
		t.Errorf("Load before Save = %q, %v; want nothing", tok, err)
	}
	for _, tok := range []string{"first.token.sig", "second.token.sig"} {
		if err := f.Save(tok); err != nil {
			t.Fatalf("Save: %v", err)
		}
		if got, err := f.Load(); got != tok || err != nil {
			t.Errorf("Load = %q, %v; want %q", got, err, tok)
		}
		if got := mode(t, f.Path()); got != 0o600 {
			t.Errorf("token file mode = %v, want 0600", got)
		}
		if got := mode(t, filepath.Dir(f.Path())); got != 0o700 {
			t.Errorf("token directory mode = %v, want 0700", got)
		}
		entries, err := os.ReadDir(filepath.Dir(f.Path()))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("directory holds %d files after Save, want only the token", len(entries))
		}
	}

	if removed, err := f.Remove(); !removed || err != nil {
		t.Errorf("Remove = %v, %v; want true", removed, err)
	}
	if _, err := os.Stat(f.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("token file still there after Remove: %v", err)
	}
	if removed, err := f.Remove(); removed || err != nil {
		t.Errorf("second Remove = %v, %v; want false, no error", removed, err)
	}
}

func TestTokenFileDamaged(t *testing.T) {
	t.Parallel()
	config := t.TempDir()
	writeToken(t, config, "not a token")
	f := newTokenFile(func(k string) string { return map[string]string{"XDG_CONFIG_HOME": config}[k] })
	_, err := f.Load()
	if code := exitCode(err); code != exitAuth {
		t.Errorf("Load error %v (exit code %d), want exit code %d", err, code, exitAuth)
	}
	if err != nil && strings.Contains(err.Error(), "not a token") {
		t.Errorf("error %q holds the file's contents", err)
	}
}

func TestTokenFileWithoutConfigDir(t *testing.T) {
	t.Parallel()
	f := newTokenFile(func(string) string { return "" })
	if tok, err := f.Load(); tok != "" || err != nil {
		t.Errorf("Load = %q, %v; want no token and no error", tok, err)
	}
	if err := f.Save("a.b.c"); exitCode(err) != exitUsage {
		t.Errorf("Save error %v, want exit code %d", err, exitUsage)
	}
	if _, err := f.Remove(); exitCode(err) != exitUsage {
		t.Errorf("Remove error %v, want exit code %d", err, exitUsage)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	err := redact(errorf(exitAuth, "refused Bearer s3cret, again s3cret"), "", "s3cret")
	if got, want := err.Error(), "refused Bearer [redacted], again [redacted]"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
	if code := exitCode(err); code != exitAuth {
		t.Errorf("exit code = %d, want %d", code, exitAuth)
	}
	plain := errors.New("nothing secret")
	if got := redact(plain, "s3cret"); got != plain {
		t.Errorf("redact changed an error without secrets: %v", got)
	}
	if redact(nil, "x") != nil {
		t.Error("redact(nil) is not nil")
	}
}
