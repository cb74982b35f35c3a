package memory_test

import (
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-user/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-user/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) storetest.Repository { return memory.New() })
}
