package auth

import (
	"fmt"
	"log/slog"
	"path/filepath"
)

// EnvPrivateKeyFile names the PEM file of the Ed25519 key a service signs
// its tokens with. Unset, the key is kept in the service's data directory,
// and made there on first start.
const EnvPrivateKeyFile = "AUTH_PRIVATE_KEY_FILE"

// DefaultKeyFile is the signing key's file in the data directory when
// EnvPrivateKeyFile is unset.
const DefaultKeyFile = "auth-signing-key.pem"

// KeyFile is where a service's signing key is kept.
type KeyFile struct {
	Path string
	// Create says whether a missing key is made: only the default file in
	// the data directory is; a file given by EnvPrivateKeyFile must exist.
	Create bool
}

// KeyFileFromEnv reads EnvPrivateKeyFile from getenv; unset, the key is
// DefaultKeyFile in dataDir.
func KeyFileFromEnv(getenv func(string) string, dataDir string) KeyFile {
	if path := getenv(EnvPrivateKeyFile); path != "" {
		return KeyFile{Path: path}
	}
	return KeyFile{Path: filepath.Join(dataDir, DefaultKeyFile), Create: true}
}

// Load loads the key, or makes it when f.Create and logs that it did.
// Errors of a key file given by EnvPrivateKeyFile name the variable.
func (f KeyFile) Load(logger *slog.Logger) (PrivateKey, error) {
	if !f.Create {
		key, err := LoadKey(f.Path)
		if err != nil {
			return PrivateKey{}, fmt.Errorf("%s: %w", EnvPrivateKeyFile, err)
		}
		return key, nil
	}
	key, created, err := LoadOrCreateKey(f.Path)
	if err != nil {
		return PrivateKey{}, err
	}
	if created {
		logger.Info("made a new signing key for tokens", "file", f.Path, "kid", key.ID)
	}
	return key, nil
}
