package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
)

// progCLI is the CLI, as make build names it in bin/.
const progCLI = "shippy-cli-consignment"

// envCLIToken is the CLI's variable of the token its calls carry.
const envCLIToken = "SHIPPY_TOKEN"

// CLI wall-time measurement: by default cliRuns creates (the -cli-runs
// flag), at most maxCLIRuns, one after another, each bounded by cliTimeout.
const (
	cliRuns    = 20
	maxCLIRuns = 100
	cliTimeout = 30 * time.Second
)

// measureCLI runs `shippy-cli-consignment create FILE` n times against the
// running stack over mDNS, one run after another, each a new process that
// knows nothing yet (no registry cache) and gets token in SHIPPY_TOKEN, and
// returns each run's wall time from exec to exit. A run that fails (exit
// code not 0) ends the measurement with its output.
func (b *bench) measureCLI(ctx context.Context, n int, token string) (report.CLITimes, error) {
	file, err := writeCLIConsignment(b.runDir)
	if err != nil {
		return nil, err
	}
	env := append([]string{platform.EnvRegistry + "=" + platform.RegistryMDNS, envCLIToken + "=" + token}, inheritedEnv(b.getenv)...)
	times := make(report.CLITimes, 0, n)
	for i := range n {
		ctx, cancel := context.WithTimeout(ctx, cliTimeout)
		cmd := exec.CommandContext(ctx, b.bin(progCLI), "create", file)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s create (run %d): %w: %s", progCLI, i+1, err, bytes.TrimSpace(out.Bytes()))
		}
		times = append(times, took)
	}
	return times, nil
}

// writeCLIConsignment writes the consignment the CLI creates, shaped as the
// end-to-end load's, into dir and returns its path.
func writeCLIConsignment(dir string) (string, error) {
	type container struct {
		CustomerID string `json:"customer_id"`
		UserID     string `json:"user_id"`
		Origin     string `json:"origin"`
	}
	c := struct {
		Description string      `json:"description"`
		Weight      int32       `json:"weight"`
		Containers  []container `json:"containers"`
	}{Description: "shippy-bench CLI", Weight: benchWeight}
	for i := range benchContainers {
		c.Containers = append(c.Containers, container{fmt.Sprintf("cust%03d", i+1), "user001", "Manchester, United Kingdom"})
	}
	data, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "cli-consignment.json")
	return path, os.WriteFile(path, data, 0o644)
}
