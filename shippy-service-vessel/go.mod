module github.com/shippy-suite/shippy/shippy-service-vessel

go 1.26.0

require (
	github.com/shippy-suite/shippy/proto v0.0.0-00010101000000-000000000000
	go-micro.dev/v5 v5.12.0
	go.etcd.io/bbolt v1.4.0
	google.golang.org/protobuf v1.36.6
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/miekg/dns v1.1.50 // indirect
	github.com/oxtoacart/bpool v0.0.0-20190530202638-03653db5a59c // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/mod v0.24.0 // indirect
	golang.org/x/net v0.38.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	golang.org/x/sys v0.32.0 // indirect
	golang.org/x/text v0.24.0 // indirect
	golang.org/x/tools v0.31.0 // indirect
)

replace (
	github.com/shippy-suite/shippy/platform => ../platform
	github.com/shippy-suite/shippy/proto => ../proto
)
