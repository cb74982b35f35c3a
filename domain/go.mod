module github.com/shippy-suite/shippy/domain

go 1.26.0
