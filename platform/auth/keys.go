package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PrivateKey is a signing key and its key id (KeyID of its public half).
type PrivateKey struct {
	ID  string
	Key ed25519.PrivateKey
}

// PublicKey is a verification key and its key id (KeyID of Key).
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// PEM block types: PKCS#8 for private keys, PKIX for public keys.
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// keyIDBytes is how much of a public key's SHA-256 its key id keeps: 96
// bits, 16 characters of base64url.
const keyIDBytes = 12

// Limits of ParsePublicKeys: a registry metadata value holds a few keys
// (the current one and those being rotated out), not a list of any length.
const (
	MaxPublicKeys       = 16
	maxEncodedPublicKey = keyIDBytes*4/3 + 1 + 44 // kid, ':', base64url of 32 bytes (43), a little slack
)

// KeyID is the key id of pub: the base64url (unpadded) form of the first 12
// bytes of its SHA-256. It names the key in a token's kid header.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:keyIDBytes])
}

// GenerateKey returns a new random key with its id.
func GenerateKey() (PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("generate key: %w", err)
	}
	return PrivateKey{ID: KeyID(pub), Key: priv}, nil
}

// Public returns the public half of k, with its key id.
func (k PrivateKey) Public() PublicKey {
	pub := k.Key.Public().(ed25519.PublicKey)
	return PublicKey{ID: KeyID(pub), Key: pub}
}

// check reports whether k is a whole Ed25519 public key named by its id.
func (k PublicKey) check() error {
	if len(k.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("public key %q: %d bytes, want %d", k.ID, len(k.Key), ed25519.PublicKeySize)
	}
	if id := KeyID(k.Key); k.ID != id {
		return fmt.Errorf("public key %q: its key id is %q", k.ID, id)
	}
	return nil
}

// LoadKey reads the PKCS#8 PEM file at path, which must hold an Ed25519
// private key. Errors name the path; an absent file matches fs.ErrNotExist.
func LoadKey(path string) (PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("load key: %w", err) // *fs.PathError names the path
	}
	key, err := parsePrivateKey(data)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("load key %s: %w", path, err)
	}
	return key, nil
}

func parsePrivateKey(data []byte) (PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return PrivateKey{}, errors.New("not a PEM file")
	}
	if block.Type != pemPrivate {
		return PrivateKey{}, fmt.Errorf("a %q PEM block, want %q (PKCS#8, Ed25519)", block.Type, pemPrivate)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return PrivateKey{}, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return PrivateKey{}, fmt.Errorf("a %s key, want Ed25519", keyType(k))
	}
	return PrivateKey{ID: KeyID(priv.Public().(ed25519.PublicKey)), Key: priv}, nil
}

// keyType names the type of a parsed key in an error.
func keyType(k any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", k), "*")
}

// LoadOrCreateKey loads the key at path (LoadKey), or, when there is no file
// there, generates one and writes it (PKCS#8 PEM, mode 0600, its directory
// made with mode 0700 if missing) and reports created. The file appears
// whole or not at all, and never replaces one that another process created
// meanwhile: that one is loaded instead.
func LoadOrCreateKey(path string) (key PrivateKey, created bool, err error) {
	key, err = LoadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if key, err = GenerateKey(); err != nil {
		return PrivateKey{}, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key.Key)
	if err != nil {
		return PrivateKey{}, false, fmt.Errorf("create key %s: %w", path, err)
	}
	err = writeNewFile(path, pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}))
	if errors.Is(err, fs.ErrExist) {
		key, err = LoadKey(path)
		return key, false, err
	}
	if err != nil {
		return PrivateKey{}, false, fmt.Errorf("create key %s: %w", path, err)
	}
	return key, true, nil
}

// writeNewFile writes data to a new file at path, mode 0600: to a temporary
// file in the same directory, synced, then hard-linked to path, which fails
// with fs.ErrExist when path exists. Where the file system has no hard
// links it renames instead, which would replace a file created meanwhile.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a link, or a failure; nothing left after a rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// syncDir makes a new entry of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// EncodePublicKeys returns keys in the compact text form ParsePublicKeys
// reads, which fits a registry metadata value: "kid:key,kid:key", each key
// in base64url without padding.
func EncodePublicKeys(keys []PublicKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + ":" + base64.RawURLEncoding.EncodeToString(k.Key)
	}
	return strings.Join(parts, ",")
}

// ParsePublicKeys reads the form EncodePublicKeys writes. It refuses an
// empty list, more than MaxPublicKeys keys, a key that is not 32 bytes, and
// a kid that is not the KeyID of its key; a key listed twice is kept once.
func ParsePublicKeys(s string) ([]PublicKey, error) {
	if s == "" {
		return nil, errors.New("parse public keys: none listed")
	}
	if n := strings.Count(s, ",") + 1; n > MaxPublicKeys {
		return nil, fmt.Errorf("parse public keys: %d listed, at most %d", n, MaxPublicKeys)
	}
	var keys []PublicKey
	for i, part := range strings.Split(s, ",") {
		if len(part) > maxEncodedPublicKey {
			return nil, fmt.Errorf("parse public keys: key %d: too long", i)
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("parse public keys: key %d: want kid:key", i)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
		if err != nil {
			return nil, fmt.Errorf("parse public keys: key %d: not base64url", i)
		}
		k := PublicKey{ID: id, Key: ed25519.PublicKey(raw)}
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("parse public keys: key %d: %w", i, err)
		}
		if !containsKey(keys, k.ID) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func containsKey(keys []PublicKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// LoadPublicKeys reads the PEM file at path, which must hold one or more
// Ed25519 public keys (PKIX "PUBLIC KEY" blocks), for a static set-up
// without discovery. Errors name the path.
func LoadPublicKeys(path string) ([]PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public keys: %w", err)
	}
	var keys []PublicKey
	for n := 1; ; n++ {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type != pemPublic {
			return nil, fmt.Errorf("load public keys %s: block %d: a %q PEM block, want %q", path, n, block.Type, pemPublic)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("load public keys %s: block %d: %w", path, n, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("load public keys %s: block %d: a %s key, want Ed25519", path, n, keyType(k))
		}
		if id := KeyID(pub); !containsKey(keys, id) {
			keys = append(keys, PublicKey{ID: id, Key: pub})
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("load public keys %s: no PEM %q block", path, pemPublic)
	}
	return keys, nil
}

// EncodePublicKeysPEM returns keys as PEM PKIX blocks, the file
// LoadPublicKeys reads.
func EncodePublicKeysPEM(keys []PublicKey) ([]byte, error) {
	var out []byte
	for _, k := range keys {
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("encode public keys: %w", err)
		}
		der, err := x509.MarshalPKIXPublicKey(k.Key)
		if err != nil {
			return nil, fmt.Errorf("encode public keys: %w", err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der})...)
	}
	return out, nil
}
