package testenv

import (
	"errors"
	"strconv"
	"testing"
)

func TestCheckConfigs(t *testing.T) {
	t.Parallel()
	load := func(getenv func(string) string) (int, error) {
		n, err := strconv.Atoi(getenv("N"))
		if err != nil {
			return 0, errors.New("N: not a number")
		}
		return n, nil
	}
	CheckConfigs(t, load, []ConfigCase[int]{
		{Name: "set", Env: map[string]string{"N": "7"}, Want: 7},
		{Name: "unset", WantErr: "N: not"},
	})
}
