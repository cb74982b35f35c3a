package store

import (
	"strings"
	"testing"

	"github.com/shippy-suite/shippy/testenv"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	testenv.CheckConfigs(t, LoadConfig, []testenv.ConfigCase[Config]{
		{Name: "neither: embedded database", Want: Config{DataDir: DefaultDataDir}},
		{
			Name: "DATA_DIR",
			Env:  map[string]string{EnvDataDir: "/var/lib/shippy"},
			Want: Config{DataDir: "/var/lib/shippy"},
		},
		{
			Name: "MONGO_URI",
			Env:  map[string]string{EnvMongoURI: "mongodb://db.example:27017"},
			Want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://db.example:27017", MongoURIFrom: EnvMongoURI},
		},
		{
			Name: "DB_HOST with a scheme, as the tutorial set it",
			Env:  map[string]string{EnvDBHost: "mongodb://datastore:27017"},
			Want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://datastore:27017", MongoURIFrom: EnvDBHost},
		},
		{
			Name: "DB_HOST as host:port",
			Env:  map[string]string{EnvDBHost: "datastore:27017"},
			Want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://datastore:27017", MongoURIFrom: EnvDBHost},
		},
		{
			Name: "MONGO_URI wins over DB_HOST",
			Env:  map[string]string{EnvMongoURI: "mongodb://a:1", EnvDBHost: "b:2"},
			Want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://a:1", MongoURIFrom: EnvMongoURI},
		},
	})
}

// TestLoadConfigBadURI checks the whole error for a connection string that
// cannot be parsed: it names the variable and never shows the password.
func TestLoadConfigBadURI(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ key, value, want string }{
		{EnvMongoURI, "http://user:secret@db.example", `MONGO_URI: error parsing uri: scheme must be "mongodb" or "mongodb+srv"`},
		{EnvDBHost, "user:secret@datastore:port", `DB_HOST: error parsing uri: invalid host "": port must be an integer: strconv.Atoi: parsing "port": invalid syntax`},
	} {
		env := map[string]string{tt.key: tt.value}
		_, err := LoadConfig(func(k string) string { return env[k] })
		if err == nil || err.Error() != tt.want {
			t.Errorf("LoadConfig(%s=%q) error = %v, want %q", tt.key, tt.value, err, tt.want)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q shows the password", err)
		}
	}
}
