package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shippy-suite/shippy/platform/auth"
)

// TestServiceCredentials checks that the consignment service makes the key
// of its own tokens in its data directory on first start (mode 0600) and
// publishes its public key in its registry entry, where the vessel service
// finds the keys that verify the consignment service's calls.
func TestServiceCredentials(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	c := st.consignment

	file := filepath.Join(lookupEnv(c.env)("DATA_DIR"), auth.DefaultKeyFile)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatalf("the consignment service's key: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, info.Mode().Perm())
	}
	key, err := auth.LoadKey(file)
	if err != nil {
		t.Fatal(err)
	}

	published := c.publishedKeys(t)
	keys, err := auth.ParsePublicKeys(published)
	if err != nil || len(keys) != 1 || keys[0].ID != key.ID {
		t.Fatalf("published keys %q (%v); want the one of %s, kid %s", published, err, file, key.ID)
	}
}
