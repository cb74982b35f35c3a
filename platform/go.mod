module github.com/shippy-suite/shippy/platform

go 1.26.0
