package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	// opts returns the options for the default command with changes applied.
	opts := func(change func(*options)) options {
		o := options{create: true, list: true, file: defaultFile, timeout: defaultTimeout}
		if change != nil {
			change(&o)
		}
		return o
	}
	// account returns the options of the account command act with
	// changes applied.
	account := func(act action, change func(*options)) options {
		o := options{action: act, timeout: defaultTimeout}
		if change != nil {
			change(&o)
		}
		return o
	}
	createOnly := func(o *options) { o.list = false }
	listOnly := func(o *options) { o.create = false }

	tests := []struct {
		args []string
		want options
	}{
		{nil, opts(nil)},
		{[]string{"other.json"}, opts(func(o *options) { o.file = "other.json" })},
		{[]string{"--json"}, opts(func(o *options) { o.asJSON = true })},
		{[]string{"other.json", "--json"}, opts(func(o *options) { o.file, o.asJSON = "other.json", true })},
		{[]string{"create"}, opts(createOnly)},
		{[]string{"create", "other.json"}, opts(func(o *options) { createOnly(o); o.file = "other.json" })},
		{[]string{"--json", "create"}, opts(func(o *options) { createOnly(o); o.asJSON = true })},
		{[]string{"create", "--json"}, opts(func(o *options) { createOnly(o); o.asJSON = true })},
		{[]string{"create", "other.json", "-json"}, opts(func(o *options) { createOnly(o); o.file, o.asJSON = "other.json", true })},
		{[]string{"create", "--json", "other.json"}, opts(func(o *options) { createOnly(o); o.file, o.asJSON = "other.json", true })},
		{[]string{"list"}, opts(listOnly)},
		{[]string{"--json", "list"}, opts(func(o *options) { listOnly(o); o.asJSON = true })},
		{[]string{"list", "--json"}, opts(func(o *options) { listOnly(o); o.asJSON = true })},
		{[]string{"list", "--json=false"}, opts(listOnly)},
		{[]string{"--timeout", "1.5s", "list"}, opts(func(o *options) { listOnly(o); o.timeout = 1500 * time.Millisecond })},
		{[]string{"list", "--timeout=2m"}, opts(func(o *options) { listOnly(o); o.timeout = 2 * time.Minute })},
		{[]string{"--", "list"}, opts(listOnly)}, // "--" ends the flags, not the subcommands
		{[]string{"create", "--", "list"}, opts(func(o *options) { createOnly(o); o.file = "list" })},
		{[]string{"create", "--", "--json"}, opts(func(o *options) { createOnly(o); o.file = "--json" })},
		{[]string{"--token", "a.b.c", "list"}, opts(func(o *options) { listOnly(o); o.token = "a.b.c" })},
		{[]string{"list", "--token=a.b.c"}, opts(func(o *options) { listOnly(o); o.token = "a.b.c" })},
		{[]string{"user", "create", "--name", "Ada", "--email", "ada@example.com"}, account(actUserCreate, func(o *options) { o.name, o.email = "Ada", "ada@example.com" })},
		{[]string{"--json", "user", "--company", "Navy", "create", "--email=g@x", "--name=Grace"}, account(actUserCreate, func(o *options) {
			o.asJSON, o.name, o.email, o.company = true, "Grace", "g@x", "Navy"
		})},
		{[]string{"login", "--email", "ada@example.com"}, account(actLogin, func(o *options) { o.email = "ada@example.com" })},
		{[]string{"--email", "a@b", "--token", "t", "login", "--json"}, account(actLogin, func(o *options) { o.email, o.token, o.asJSON = "a@b", "t", true })},
		{[]string{"logout"}, account(actLogout, nil)},
		{[]string{"logout", "--json"}, account(actLogout, func(o *options) { o.asJSON = true })},
		{[]string{"cancel", "c-1"}, account(actCancel, func(o *options) { o.id = "c-1" })},
		{[]string{"--json", "cancel", "--", "-c"}, account(actCancel, func(o *options) { o.id, o.asJSON = "-c", true })},
		{[]string{"create", "login"}, opts(func(o *options) { createOnly(o); o.file = "login" })}, // a file named like a command
		{[]string{"-h"}, options{help: true}},
		{[]string{"--help"}, options{help: true}},
		{[]string{"list", "--help"}, options{help: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tt.args, err)
			}
			if got != tt.want {
				t.Errorf("parseArgs(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseArgsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--colour"}, "flag provided but not defined: -colour (see shippy-cli-consignment --help)"},
		{[]string{"list", "-x"}, "flag provided but not defined: -x (see shippy-cli-consignment --help)"},
		{[]string{"--timeout"}, "flag needs an argument: -timeout (see shippy-cli-consignment --help)"},
		{[]string{"--timeout", "soon"}, `invalid value "soon" for flag -timeout: parse error (see shippy-cli-consignment --help)`},
		{[]string{"--timeout", "0s"}, "--timeout must be positive, got 0s (see shippy-cli-consignment --help)"},
		{[]string{"--timeout=-1s", "list"}, "--timeout must be positive, got -1s (see shippy-cli-consignment --help)"},
		{[]string{"a.json", "b.json"}, `too many arguments: ["b.json"] (see shippy-cli-consignment --help)`},
		{[]string{"create", "a.json", "b.json"}, `too many arguments: ["b.json"] (see shippy-cli-consignment --help)`},
		{[]string{"list", "a.json"}, `list takes no arguments, got ["a.json"] (see shippy-cli-consignment --help)`},
		{[]string{"user"}, "user takes one subcommand: create (see shippy-cli-consignment --help)"},
		{[]string{"user", "delete"}, "user takes one subcommand: create (see shippy-cli-consignment --help)"},
		{[]string{"user", "create", "--email", "a@b"}, "user create needs --name and --email (see shippy-cli-consignment --help)"},
		{[]string{"user", "create", "--name", "A", "--email="}, "user create needs --name and --email (see shippy-cli-consignment --help)"},
		{[]string{"user", "create", "--name", "A", "--email", "a@b", "x"}, `user create takes no arguments, got ["x"] (see shippy-cli-consignment --help)`},
		{[]string{"login"}, "login needs --email (see shippy-cli-consignment --help)"},
		{[]string{"login", "--email", "a@b", "--name", "A"}, "--name is a flag of user create only (see shippy-cli-consignment --help)"},
		{[]string{"logout", "--email", "a@b"}, "--email is a flag of user create and login only (see shippy-cli-consignment --help)"},
		{[]string{"list", "--company", "Navy"}, "--company is a flag of user create only (see shippy-cli-consignment --help)"},
		{[]string{"logout", "now"}, `logout takes no arguments, got ["now"] (see shippy-cli-consignment --help)`},
		{[]string{"--token"}, "flag needs an argument: -token (see shippy-cli-consignment --help)"},
		{[]string{"cancel"}, `cancel takes one argument, the consignment's id, got [] (see shippy-cli-consignment --help)`},
		{[]string{"cancel", ""}, `cancel takes one argument, the consignment's id, got [""] (see shippy-cli-consignment --help)`},
		{[]string{"cancel", "a", "b"}, `cancel takes one argument, the consignment's id, got ["a" "b"] (see shippy-cli-consignment --help)`},
		{[]string{"cancel", "a", "--email", "a@b"}, "--email is a flag of user create and login only (see shippy-cli-consignment --help)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			_, err := parseArgs(tt.args)
			checkError(t, err, exitUsage, tt.want)
		})
	}
}

func TestUsageListsEveryExitCode(t *testing.T) {
	t.Parallel()
	text := usage()
	for code := exitOK; code <= exitAuth; code++ {
		if line := "\n  " + string(rune('0'+code)) + "  "; !strings.Contains(text, line) {
			t.Errorf("usage text does not list exit code %d", code)
		}
	}
}
