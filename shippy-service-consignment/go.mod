module github.com/shippy-suite/shippy/shippy-service-consignment

go 1.26.0
