package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/shippy-suite/shippy/bench/report"
)

// machineNotes describes this machine and build.
func machineNotes() report.Machine {
	m := report.Machine{
		CPU:        "unknown CPU",
		Cores:      runtime.NumCPU(),
		Kernel:     "unknown",
		GoVersion:  runtime.Version(),
		GoMicro:    "unknown",
		GRPC:       "unknown",
		Date:       time.Now(),
		LoadBefore: loadAverage(),
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if cpu := cpuModel(data); cpu != "" {
			m.CPU = cpu
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(data))
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			switch dep.Path {
			case "go-micro.dev/v5":
				m.GoMicro = dep.Version
			case "google.golang.org/grpc":
				m.GRPC = dep.Version
			}
		}
	}
	return m
}

// cpuModel returns the first "model name" of /proc/cpuinfo's text.
func cpuModel(cpuinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], ", ")
}

// dockerTimeout bounds each docker command.
const dockerTimeout = 15 * time.Second

// imageSizes asks the Docker engine for the size of each image. Without an
// engine every size is "n/a (no Docker engine)".
func imageSizes(ctx context.Context, names []string) []report.Image {
	images := make([]report.Image, len(names))
	for i, name := range names {
		images[i].Name = name
	}
	if _, err := docker(ctx, "version", "--format", "{{.Server.Version}}"); err != nil {
		for i := range images {
			images[i].Err = "n/a (no Docker engine)"
		}
		return images
	}
	for i := range images {
		out, err := docker(ctx, "image", "inspect", "--format", "{{.Size}}", images[i].Name)
		if err != nil {
			images[i].Err = "n/a (no such image here)"
			continue
		}
		size, err := strconv.ParseInt(out, 10, 64)
		if err != nil {
			images[i].Err = fmt.Sprintf("n/a (docker said %q)", out)
			continue
		}
		images[i].Size = size
	}
	return images
}

// docker runs the docker CLI and returns its trimmed output.
func docker(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).Output()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
