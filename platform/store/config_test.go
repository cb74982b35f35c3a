package store

import (
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		want    Config
		wantErr string // the whole error; empty means none
	}{
		{name: "neither: embedded database", want: Config{DataDir: DefaultDataDir}},
		{
			name: "DATA_DIR",
			vars: map[string]string{EnvDataDir: "/var/lib/shippy"},
			want: Config{DataDir: "/var/lib/shippy"},
		},
		{
			name: "MONGO_URI",
			vars: map[string]string{EnvMongoURI: "mongodb://db.example:27017"},
			want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://db.example:27017", MongoURIFrom: EnvMongoURI},
		},
		{
			name: "DB_HOST with a scheme, as the tutorial set it",
			vars: map[string]string{EnvDBHost: "mongodb://datastore:27017"},
			want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://datastore:27017", MongoURIFrom: EnvDBHost},
		},
		{
			name: "DB_HOST as host:port",
			vars: map[string]string{EnvDBHost: "datastore:27017"},
			want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://datastore:27017", MongoURIFrom: EnvDBHost},
		},
		{
			name: "MONGO_URI wins over DB_HOST",
			vars: map[string]string{EnvMongoURI: "mongodb://a:1", EnvDBHost: "b:2"},
			want: Config{DataDir: DefaultDataDir, MongoURI: "mongodb://a:1", MongoURIFrom: EnvMongoURI},
		},
		{
			name:    "bad scheme",
			vars:    map[string]string{EnvMongoURI: "http://user:secret@db.example"},
			wantErr: `MONGO_URI: error parsing uri: scheme must be "mongodb" or "mongodb+srv"`,
		},
		{
			name:    "bad port",
			vars:    map[string]string{EnvDBHost: "user:secret@datastore:port"},
			wantErr: `DB_HOST: error parsing uri: invalid host "": port must be an integer: strconv.Atoi: parsing "port": invalid syntax`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadConfig(func(k string) string { return tt.vars[k] })
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("LoadConfig() error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("LoadConfig() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
