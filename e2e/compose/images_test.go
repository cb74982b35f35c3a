package compose

import (
	"context"
	"os"
	"testing"
	"time"
)

// The upstream images of docker-compose.yml's profiles, its defaults.
const (
	upstreamConsulImage = "hashicorp/consul:1.21"
	upstreamMongoImage  = "mongo:7"
)

// Test images that make e2e builds FROM scratch from bin/consul and
// bin/ferretdb, for where the engine has no upstream images: the
// environment variables that name them.
const (
	envConsulTestImage   = "SHIPPY_E2E_CONSUL_IMAGE"
	envFerretDBTestImage = "SHIPPY_E2E_FERRETDB_IMAGE"
)

// inspectTimeout bounds asking the engine for one image.
const inspectTimeout = 30 * time.Second

// available reports whether the engine has the image ref, and the reason
// when it has not. The tests never pull: they send nothing beyond this
// machine. Pull the upstream images first (docker pull) to test with them.
func available(ref string) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), inspectTimeout)
	defer cancel()
	if imageExists(ctx, ref) {
		return true, ""
	}
	return false, "the engine does not have it, and the tests pull nothing"
}

// profileImage returns the image for a profile's service: the one the
// variable env names when it is set (it must be there), else upstream
// where the engine has it, else the test image the variable
// testEnv names, saying so. It skips t when there is none.
func profileImage(t *testing.T, env, upstream, testEnv, what string) (ref string, test bool) {
	t.Helper()
	if ref := os.Getenv(env); ref != "" {
		if ok, why := available(ref); !ok {
			t.Fatalf("%s=%s: %s", env, ref, why)
		}
		return ref, false
	}
	ok, why := available(upstream)
	if ok {
		return upstream, false
	}
	ref = os.Getenv(testEnv)
	if ref == "" {
		t.Skipf("no %s image: %s is not here (%s), and %s is not set (make e2e sets it)", what, upstream, why, testEnv)
	}
	if ok, why := available(ref); !ok {
		t.Fatalf("%s=%s: %s", testEnv, ref, why)
	}
	t.Logf("%s is not here (%s): the test image %s stands in through %s", upstream, why, ref, env)
	return ref, true
}

// consulImage returns the image of the consul service: CONSUL_IMAGE, else
// upstream, else Consul built from source by make e2e (see profileImage).
func consulImage(t *testing.T) string {
	t.Helper()
	ref, _ := profileImage(t, "CONSUL_IMAGE", upstreamConsulImage, envConsulTestImage, "Consul")
	return ref
}

// requireMongo returns the image of the mongo service: MONGO_IMAGE, else
// upstream MongoDB, else FerretDB, a MongoDB wire server, from make e2e
// (see profileImage).
func requireMongo(t *testing.T) string {
	t.Helper()
	ref, test := profileImage(t, "MONGO_IMAGE", upstreamMongoImage, envFerretDBTestImage, "MongoDB")
	if test {
		t.Logf("FerretDB (SQLite backend) serves the MongoDB wire protocol in place of MongoDB")
	}
	return ref
}
