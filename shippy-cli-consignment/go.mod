module github.com/shippy-suite/shippy/shippy-cli-consignment

go 1.26.0
