package memory_test

import (
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) consignment.Repository { return memory.New() })
}
