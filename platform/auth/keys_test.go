package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shippy-suite/shippy/platform/auth"
)

func TestKeyID(t *testing.T) {
	t.Parallel()
	a, b := mustKey(t), mustKey(t)
	if got := auth.KeyID(a.Public().Key); got != a.ID || got != a.Public().ID {
		t.Errorf("KeyID() = %q, want the key's id %q", got, a.ID)
	}
	if len(a.ID) != 16 || strings.ContainsAny(a.ID, "+/=:,") {
		t.Errorf("key id %q: want 16 base64url characters", a.ID)
	}
	if a.ID == b.ID {
		t.Errorf("two keys have the id %q", a.ID)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "signing.pem") // a directory to make

	key, created, err := auth.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKey() = created %v, %v; want a key created", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want 0600", got)
	}
	if d, err := os.Stat(filepath.Dir(path)); err != nil || d.Mode().Perm() != 0o700 {
		t.Errorf("key directory: %v, %v; want mode 0700", d.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d files, want the key alone", len(entries))
	}

	again, created, err := auth.LoadOrCreateKey(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateKey() = created %v, %v; want the key loaded", created, err)
	}
	loaded, err := auth.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []auth.PrivateKey{again, loaded} {
		if k.ID != key.ID || !key.Key.Equal(k.Key) {
			t.Errorf("loaded key %s, want the created key %s", k.ID, key.ID)
		}
	}
}

// TestLoadOrCreateKeyConcurrent starts processes' worth of creators on one
// path: all must end with the same key.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "signing.pem")
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, _, err := auth.LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			ids[i] = k.ID
		})
	}
	wg.Wait()
	if ids[0] == "" || slices.ContainsFunc(ids[1:], func(id string) bool { return id != ids[0] }) {
		t.Errorf("creators ended with keys %v, want one", ids)
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoadKeyRefuses(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(mustKey(t).Public().Key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not PEM", []byte("hello"), "not a PEM file"},
		{"empty", nil, "not a PEM file"},
		{"an ECDSA key", pemOf(t, "PRIVATE KEY", ecDER), "a ecdsa.PrivateKey key, want Ed25519"},
		{"a public key", pemOf(t, "PUBLIC KEY", pubDER), `a "PUBLIC KEY" PEM block`},
		{"PKCS#8 garbage", pemOf(t, "PRIVATE KEY", []byte("junk")), "asn1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "key.pem", tt.data)
			for name, load := range map[string]func(string) error{
				"LoadKey":         func(p string) error { _, err := auth.LoadKey(p); return err },
				"LoadOrCreateKey": func(p string) error { _, _, err := auth.LoadOrCreateKey(p); return err },
			} {
				err := load(path)
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s() = %v, want an error naming %s and saying %q", name, err, path, tt.want)
				}
			}
			if data, _ := os.ReadFile(path); string(data) != string(tt.data) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestLoadKeyMissing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.pem")
	_, err := auth.LoadKey(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadKey() = %v, want fs.ErrNotExist naming the path", err)
	}
}

func TestLoadOrCreateKeyUnwritable(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "file", []byte("x"))
	path := filepath.Join(file, "signing.pem") // under a file, not a directory
	if _, _, err := auth.LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadOrCreateKey() = %v, want an error naming %s", err, path)
	}
}

func TestPublicKeysRoundTrip(t *testing.T) {
	t.Parallel()
	keys := []auth.PublicKey{mustKey(t).Public(), mustKey(t).Public()}
	s := auth.EncodePublicKeys(keys)
	if len(s) > 2*61 {
		t.Errorf("EncodePublicKeys() = %d characters for 2 keys, want at most %d", len(s), 2*61)
	}
	got, err := auth.ParsePublicKeys(s)
	if err != nil {
		t.Fatal(err)
	}
	if !publicKeysEqual(got, keys) {
		t.Errorf("ParsePublicKeys(EncodePublicKeys(keys)) = %v, want %v", got, keys)
	}

	data, err := auth.EncodePublicKeysPEM(keys)
	if err != nil {
		t.Fatal(err)
	}
	got, err = auth.LoadPublicKeys(writeFile(t, "public.pem", data))
	if err != nil {
		t.Fatal(err)
	}
	if !publicKeysEqual(got, keys) {
		t.Errorf("LoadPublicKeys() = %v, want %v", got, keys)
	}
}

func publicKeysEqual(a, b []auth.PublicKey) bool {
	return slices.EqualFunc(a, b, func(x, y auth.PublicKey) bool { return x.ID == y.ID && x.Key.Equal(y.Key) })
}

func TestParsePublicKeysRefuses(t *testing.T) {
	t.Parallel()
	a, b := mustKey(t).Public(), mustKey(t).Public()
	good := auth.EncodePublicKeys([]auth.PublicKey{a})
	_, enc, _ := strings.Cut(good, ":")
	many := strings.Repeat(good+",", auth.MaxPublicKeys) + good
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"no colon", enc},
		{"another key's id", b.ID + ":" + enc},
		{"no id", ":" + enc},
		{"short key", a.ID + ":" + enc[:40]},
		{"padded", a.ID + ":" + enc + "="},
		{"standard base64", a.ID + ":" + strings.NewReplacer("-", "+", "_", "/").Replace(enc) + "+"},
		{"trailing comma", good + ","},
		{"too many", many},
		{"too long", a.ID + ":" + enc + strings.Repeat("A", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := auth.ParsePublicKeys(tt.in); err == nil {
				t.Errorf("ParsePublicKeys(%q) = %v, want an error", tt.in, got)
			}
		})
	}
}

func TestParsePublicKeysDuplicates(t *testing.T) {
	t.Parallel()
	a := mustKey(t).Public()
	got, err := auth.ParsePublicKeys(auth.EncodePublicKeys([]auth.PublicKey{a, a}))
	if err != nil || len(got) != 1 {
		t.Errorf("ParsePublicKeys(a key twice) = %v, %v; want the key once", got, err)
	}
}

func TestLoadPublicKeysRefuses(t *testing.T) {
	t.Parallel()
	privDER, err := x509.MarshalPKCS8PrivateKey(mustKey(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	good, err := auth.EncodePublicKeysPEM([]auth.PublicKey{mustKey(t).Public()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("hello")},
		{"a private key", pemOf(t, "PRIVATE KEY", privDER)},
		{"an ECDSA key after a good one", append(good, pemOf(t, "PUBLIC KEY", ecDER)...)},
		{"garbage", pemOf(t, "PUBLIC KEY", []byte("junk"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "public.pem", tt.data)
			if got, err := auth.LoadPublicKeys(path); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadPublicKeys() = %v, %v; want an error naming %s", got, err, path)
			}
		})
	}
}

func TestEncodePublicKeysPEMRefuses(t *testing.T) {
	t.Parallel()
	if _, err := auth.EncodePublicKeysPEM([]auth.PublicKey{{ID: "x", Key: ed25519.PublicKey(make([]byte, 32))}}); err == nil {
		t.Error("EncodePublicKeysPEM(a key with another id) = nil error")
	}
}

func FuzzParsePublicKeys(f *testing.F) {
	a, b := mustKey(f).Public(), mustKey(f).Public()
	f.Add(auth.EncodePublicKeys([]auth.PublicKey{a}))
	f.Add(auth.EncodePublicKeys([]auth.PublicKey{a, b}))
	f.Add("kid:key")
	f.Add(",")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := auth.ParsePublicKeys(s)
		if err != nil {
			return
		}
		if len(keys) == 0 || len(keys) > auth.MaxPublicKeys {
			t.Fatalf("ParsePublicKeys() = %d keys", len(keys))
		}
		for _, k := range keys {
			if len(k.Key) != ed25519.PublicKeySize || k.ID != auth.KeyID(k.Key) {
				t.Fatalf("ParsePublicKeys() accepted %+v", k)
			}
		}
		again, err := auth.ParsePublicKeys(auth.EncodePublicKeys(keys))
		if err != nil || !publicKeysEqual(again, keys) {
			t.Fatalf("round trip = %v, %v; want %v", again, err, keys)
		}
	})
}
