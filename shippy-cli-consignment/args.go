package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

const (
	progName       = "shippy-cli-consignment"
	defaultFile    = "consignment.json"
	defaultTimeout = 10 * time.Second
)

// options is what a command line asks for.
type options struct {
	// help: print the usage text and do nothing else.
	help bool
	// create the consignment in file, then list when list is set too.
	create bool
	file   string
	list   bool
	// asJSON selects machine-readable output.
	asJSON bool
	// timeout bounds each call to the consignment service.
	timeout time.Duration
}

// parseArgs reads a command line (without the program name):
//
//	[FILE]         create the consignment in FILE, then list (the default command)
//	create [FILE]  create the consignment in FILE
//	list           list all consignments
//
// FILE defaults to consignment.json. Flags may come before or after the
// subcommand and its argument; "--" ends the flags. Errors have exit code
// exitUsage.
func parseArgs(args []string) (options, error) {
	opts := options{file: defaultFile}
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, and the usage text is ours
	fs.BoolVar(&opts.asJSON, "json", false, "")
	fs.DurationVar(&opts.timeout, "timeout", defaultTimeout, "")

	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return options{help: true}, nil
	}
	if err != nil {
		return options{}, usageError("%v", err)
	}
	if opts.timeout <= 0 {
		return options{}, usageError("--timeout must be positive, got %s", opts.timeout)
	}

	cmd, rest := "", positional
	if len(rest) > 0 && (rest[0] == "create" || rest[0] == "list") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "", "create":
		if len(rest) > 1 {
			return options{}, usageError("too many arguments: %q", rest[1:])
		}
		if len(rest) == 1 {
			opts.file = rest[0]
		}
		opts.create, opts.list = true, cmd == ""
	case "list":
		if len(rest) > 0 {
			return options{}, usageError("list takes no arguments, got %q", rest)
		}
		opts.list = true
	}
	return opts, nil
}

// parseInterspersed parses args with fs, allowing flags between the
// positional arguments, which it returns in order. After "--" every argument
// is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError is the error for a command line that cannot be run.
func usageError(format string, args ...any) error {
	return errorf(exitUsage, "%s (see %s --help)", fmt.Sprintf(format, args...), progName)
}

// usage is the text --help prints.
func usage() string {
	return fmt.Sprintf(`Usage:
  %[1]s [flags] [FILE]         create the consignment in FILE, then list all
  %[1]s [flags] create [FILE]  create the consignment in FILE
  %[1]s [flags] list           list all consignments

FILE is a JSON consignment (default %[2]s), with the proto's field names:
  {"description": "...", "weight": 55000,
   "containers": [{"customer_id": "cust001", "origin": "Manchester", "user_id": "user001"}]}
Without an "id" the consignment gets a new one, so a retried create is safe.
A "vessel_id" is ignored: the service books the vessel.

Flags, before or after the command:
  --json              print JSON on one line: create prints the consignment
                      object, list prints an array of them
  --timeout DURATION  bound each call to the service (default %[3]s)
  -h, --help          print this help

Environment:
  MICRO_REGISTRY          how to find the service: mdns (default) or consul
  MICRO_REGISTRY_ADDRESS  the registry's addresses, comma separated
  OTEL_EXPORTER_OTLP_ENDPOINT
                          OTLP/gRPC collector URL (http://host:4317): send a
                          trace of the command and the calls it makes

Exit status:
  %[4]d  ok
  %[5]d  other error
  %[6]d  usage: bad flags, arguments or environment
  %[7]d  bad input: the file is invalid, or the service rejected it
  %[8]d  no vessel has room for the consignment
  %[9]d  the service is unreachable
  %[10]d  the service did not answer in time
`, progName, defaultFile, defaultTimeout,
		exitOK, exitFailure, exitUsage, exitBadInput, exitNoRoom, exitUnreachable, exitTimeout)
}
