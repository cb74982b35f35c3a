package memory_test

import (
	"testing"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) notification.Repository { return memory.New() })
}
