module github.com/shippy-suite/shippy/shippy-service-consignment

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/shippy-suite/shippy/platform v0.0.0-00010101000000-000000000000
	github.com/shippy-suite/shippy/proto v0.0.0-00010101000000-000000000000
	go-micro.dev/v5 v5.12.0
)

require github.com/google/go-cmp v0.6.0 // indirect

replace (
	github.com/shippy-suite/shippy/platform => ../platform
	github.com/shippy-suite/shippy/proto => ../proto
)
