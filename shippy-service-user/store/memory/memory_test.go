package memory_test

import (
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-user/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-user/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) user.Repository { return memory.New() })
}
