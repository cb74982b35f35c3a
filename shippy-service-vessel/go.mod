module github.com/shippy-suite/shippy/shippy-service-vessel

go 1.26.0
