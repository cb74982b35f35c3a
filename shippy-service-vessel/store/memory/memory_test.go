package memory_test

import (
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) vessel.Repository { return memory.New() })
}
