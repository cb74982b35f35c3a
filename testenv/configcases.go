package testenv

import (
	"reflect"
	"strings"
	"testing"
)

// ConfigCase is one row of a table test of a configuration loader: the
// environment variables set, and the configuration or the error wanted.
type ConfigCase[C any] struct {
	Name    string
	Env     map[string]string // variables not in Env read as ""
	Want    C                 // compared with reflect.DeepEqual
	WantErr string            // a part of the error text; "" when loading succeeds
}

// CheckConfigs runs each case as a parallel subtest of t: load, given a
// getenv that reads the case's Env, must return Want and no error, or, when
// WantErr is set, an error whose text contains WantErr.
func CheckConfigs[C any](t *testing.T, load func(getenv func(string) string) (C, error), cases []ConfigCase[C]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got, err := load(func(key string) string { return tc.Env[key] })
			switch {
			case tc.WantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.WantErr) {
					t.Fatalf("load() error = %v, want one containing %q", err, tc.WantErr)
				}
			case err != nil:
				t.Fatalf("load() error = %v", err)
			case !reflect.DeepEqual(got, tc.Want):
				t.Errorf("load() = %+v, want %+v", got, tc.Want)
			}
		})
	}
}
