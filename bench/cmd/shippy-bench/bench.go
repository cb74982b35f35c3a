package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
)

// bench is one run inside the network namespace.
type bench struct {
	cfg    config
	getenv func(string) string
	stderr io.Writer
	// runDir holds the services' data directories and logs; it is removed
	// after a run that succeeded.
	runDir string
	report *report.Report
}

// logf reports progress on stderr.
func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.stderr, "bench: "+format+"\n", a...)
}

func (b *bench) bin(prog string) string { return filepath.Join(b.cfg.binDir, prog) }

func (b *bench) logFile(name string) string { return filepath.Join(b.runDir, "logs", name+".log") }

// benchmark measures everything, prints the text report to stdout and
// writes the Markdown report to cfg.out.
func benchmark(ctx context.Context, cfg config, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	progs := []string{progUser, progVessel, progConsignment}
	if cfg.cliRuns > 0 {
		progs = append(progs, progCLI)
	}
	for _, prog := range progs {
		if _, err := os.Stat(filepath.Join(cfg.binDir, prog)); err != nil {
			return fmt.Errorf("%w (run make build first, or point -bin at the built programs)", err)
		}
	}
	b := &bench{
		cfg:    cfg,
		getenv: getenv,
		stderr: stderr,
		runDir: filepath.Join(cfg.dataDir, "run"),
		report: &report.Report{
			Machine: machineNotes(),
			Setup: report.Setup{
				Concurrency: cfg.concurrency,
				Duration:    cfg.duration,
				Warmup:      cfg.warmup,
				Store: "embedded bbolt (the default), one file per service under DATA_DIR, durable: " +
					"every commit is fsynced before the call is answered",
				Fleet:         fleetDescription(),
				Network:       "127.0.0.1 in a private network namespace, mDNS discovery",
				LookupTimeout: platform.MDNSTimeout,
			},
		},
	}
	b.report.Setup.Rounds = b.rounds()
	if err := os.RemoveAll(b.runDir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.runDir, "logs"), 0o755); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			b.logf("data and service logs kept in %s", b.runDir)
			return
		}
		err = os.RemoveAll(b.runDir)
	}()
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
	}

	b.logf("fsync latency in %s", b.runDir)
	b.report.Fsync = measureFsync(b.runDir)
	b.logf("token verification")
	b.report.TokenVerify, b.report.TokenRemembered = measureTokenVerify(ctx)
	if err := b.measureCommits(ctx); err != nil {
		return fmt.Errorf("storage ceiling: %w", err)
	}
	if err := b.measureStarts(ctx); err != nil {
		return fmt.Errorf("start to discoverable: %w", err)
	}
	if err := b.measureLoads(ctx); err != nil {
		return err
	}
	if cfg.tmpfs != "" && slices.Contains(cfg.loads, report.LoadE2ETmpfs) {
		if err := b.measureTmpfs(ctx); err != nil {
			return err
		}
	}
	if cfg.listing > 0 {
		if err := b.measureListing(ctx, cfg.listing); err != nil {
			return fmt.Errorf("listing: %w", err)
		}
	}
	b.report.Images = imageSizes(ctx, cfg.images)
	b.report.Machine.LoadAfter = loadAverage()
	if cfg.findings != "" {
		if data, err := os.ReadFile(cfg.findings); err == nil {
			b.report.Findings = string(data)
		} else {
			b.logf("no findings copied: %v", err)
		}
	}

	if err := report.WriteText(stdout, b.report); err != nil {
		return err
	}
	if cfg.out != "" {
		if err := writeFileAtomic(cfg.out, func(w io.Writer) error { return report.WriteMarkdown(w, b.report) }); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		b.logf("wrote %s", cfg.out)
	}
	return nil
}

// writeFileAtomic writes path through write: to a temporary file in the
// same directory, renamed over path once complete.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
