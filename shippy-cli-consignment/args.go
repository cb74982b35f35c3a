package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

const (
	progName       = "shippy-cli-consignment"
	defaultFile    = "consignment.json"
	defaultTimeout = 10 * time.Second
)

// action is the command a command line runs.
type action int

const (
	actConsignments action = iota // create and list, as options.create and options.list say
	actUserCreate                 // register an account
	actLogin                      // sign in and store the token
	actLogout                     // remove the stored token
	actCancel                     // cancel the consignment options.id
)

// options is what a command line asks for.
type options struct {
	// help: print the usage text and do nothing else.
	help   bool
	action action
	// create the consignment in file, then list when list is set too.
	create bool
	file   string
	list   bool
	// asJSON selects machine-readable output.
	asJSON bool
	// timeout bounds each call to a service.
	timeout time.Duration
	// token, when set, is the token calls carry (--token).
	token string
	// The account of user create (name, email, company) and login (email).
	name, email, company string
	// id is the consignment cancel cancels.
	id string
}

// parseArgs reads a command line (without the program name):
//
//	[FILE]         create the consignment in FILE, then list (the default command)
//	create [FILE]  create the consignment in FILE
//	list           list the consignments the caller may see
//	cancel ID      cancel the consignment with the id
//	user create    register an account (--name, --email required; --company)
//	login          sign in (--email required)
//	logout         remove the stored token
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
	fs.StringVar(&opts.token, "token", "", "")
	fs.StringVar(&opts.name, "name", "", "")
	fs.StringVar(&opts.email, "email", "", "")
	fs.StringVar(&opts.company, "company", "", "")

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

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cmd, rest := "", positional
	if len(rest) > 0 && slices.Contains([]string{"create", "list", "cancel", "user", "login", "logout"}, rest[0]) {
		cmd, rest = rest[0], rest[1:]
	}
	if cmd == "user" {
		if len(rest) == 0 || rest[0] != "create" {
			return options{}, usageError("user takes one subcommand: create")
		}
		cmd, rest = "user create", rest[1:]
	}
	// The flags of an account, and the commands that take each.
	for _, f := range []struct {
		name string
		cmds []string
	}{
		{"name", []string{"user create"}},
		{"company", []string{"user create"}},
		{"email", []string{"user create", "login"}},
	} {
		if set[f.name] && !slices.Contains(f.cmds, cmd) {
			return options{}, usageError("--%s is a flag of %s only", f.name, strings.Join(f.cmds, " and "))
		}
	}
	switch cmd {
	case "user create", "login", "logout":
		if len(rest) > 0 {
			return options{}, usageError("%s takes no arguments, got %q", cmd, rest)
		}
	}
	switch cmd {
	case "user create":
		if opts.name == "" || opts.email == "" {
			return options{}, usageError("user create needs --name and --email")
		}
		opts.action, opts.file = actUserCreate, ""
	case "login":
		if opts.email == "" {
			return options{}, usageError("login needs --email")
		}
		opts.action, opts.file = actLogin, ""
	case "logout":
		opts.action, opts.file = actLogout, ""
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
	case "cancel":
		if len(rest) != 1 || rest[0] == "" {
			return options{}, usageError("cancel takes one argument, the consignment's id, got %q", rest)
		}
		opts.action, opts.file, opts.id = actCancel, "", rest[0]
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
  %[1]s [flags] [FILE]         create the consignment in FILE, then list yours
  %[1]s [flags] create [FILE]  create the consignment in FILE
  %[1]s [flags] list           list your consignments (an operator's: all)
  %[1]s [flags] cancel ID      cancel your consignment ID, releasing its room
  %[1]s [flags] user create --name NAME --email EMAIL [--company COMPANY]
                                              register an account
  %[1]s [flags] login --email EMAIL
                                              sign in, and store the token
  %[1]s logout                 remove the stored token

FILE is a JSON consignment (default %[2]s), with the proto's field names:
  {"description": "...", "weight": 55000,
   "containers": [{"customer_id": "cust001", "origin": "Manchester", "user_id": "user001"}]}
Without an "id" the consignment gets a new one, so a retried create is safe.
A "vessel_id" is ignored: the service books the vessel.

user create and login read the password at a prompt, without echo, or, when
standard input is not a terminal, as its first line. user create requires a
name, an email and a password; the user service checks the rest.

Every call carries a token, the first of: --token, $%[11]s, the file login
stores it in (%[12]s, mode 0600).

Flags, before or after the command:
  --json              print JSON on one line: create prints the consignment
                      object, list prints an array of them, cancel the
                      cancelled consignment, user create the
                      user, login who signed in, logout what it removed
  --timeout DURATION  bound each call to a service (default %[3]s)
  --token TOKEN       the token calls carry, rather than the stored one
  -h, --help          print this help

Environment:
  MICRO_REGISTRY          how to find the services: mdns (default) or consul
  MICRO_REGISTRY_ADDRESS  the registry's addresses, comma separated
  %-22[11]s  a token, used rather than the stored one
  XDG_CONFIG_HOME         the config directory (default $HOME/.config)
  OTEL_EXPORTER_OTLP_ENDPOINT
                          OTLP/gRPC collector URL (http://host:4317): send a
                          trace of the command and the calls it makes

Exit status:
  %[4]d  ok
  %[5]d  other error
  %[6]d  usage: bad flags, arguments or environment
  %[7]d  bad input: the file or the account details are invalid, the email is
     taken, no consignment of yours has the id to cancel, or the service
     rejected them
  %[8]d  no vessel has room for the consignment
  %[9]d  a service is unreachable
  %[10]d  a service did not answer in time
  %[13]d  not signed in, the token has expired or was refused, a wrong email or
     password on login, or the account may not do that
`, progName, defaultFile, defaultTimeout,
		exitOK, exitFailure, exitUsage, exitBadInput, exitNoRoom, exitUnreachable, exitTimeout,
		EnvToken, "$XDG_CONFIG_HOME/shippy/token", exitAuth)
}
