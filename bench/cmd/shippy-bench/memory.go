package main

import (
	"fmt"

	"github.com/shippy-suite/shippy/testenv/proc"
)

// readMemory reads the memory of every service.
func readMemory(services []*service) ([]proc.Memory, error) {
	out := make([]proc.Memory, len(services))
	for i, s := range services {
		m, err := proc.ReadMemory(s.Pid())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		out[i] = m
	}
	return out, nil
}
