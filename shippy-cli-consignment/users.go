package main

import (
	"context"
	"fmt"

	"go-micro.dev/v5/client"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// userService is what the CLI calls on the user service. The generated
// go-micro client implements it.
type userService interface {
	Create(ctx context.Context, in *userpb.User, opts ...client.CallOption) (*userpb.Response, error)
	Auth(ctx context.Context, in *userpb.User, opts ...client.CallOption) (*userpb.Token, error)
}

var _ userService = userpb.UserService(nil)

// tokenStore keeps the token login gets. tokenFile implements it.
type tokenStore interface {
	Save(token string) error
	// Remove deletes the stored token and reports whether there was one.
	Remove() (bool, error)
	Path() string
}

var _ tokenStore = (*tokenFile)(nil)

// newUser is an account to register.
type newUser struct {
	Name, Email, Company, Password string
}

// validateNewUser checks an account against the user domain's rules
// before it is sent (the service checks them again). Errors have exit
// code exitBadInput.
func validateNewUser(u newUser) error {
	r := domainuser.Registration{Name: u.Name, Company: u.Company, Email: u.Email, Password: u.Password}
	if err := r.Validate(); err != nil {
		return withCode(exitBadInput, err)
	}
	return nil
}

// userCreate registers u, with the password it reads, and prints the user
// the service returns.
func (cmd *commands) userCreate(ctx context.Context, u newUser) error {
	pw, err := cmd.passwords.Password(ctx, "Password for "+u.Email+": ", true)
	if err != nil {
		return err
	}
	u.Password = pw
	if err := validateNewUser(u); err != nil {
		return err
	}
	rsp, err := call(ctx, cmd.timeout, func(ctx context.Context) (*userpb.Response, error) {
		return cmd.users.Create(ctx, &userpb.User{Name: u.Name, Email: u.Email, Company: u.Company, Password: u.Password})
	})
	if err != nil {
		return redact(cmd.userCreateError(ctx, u, err), pw)
	}
	if rsp.GetUser() == nil {
		return fmt.Errorf("%s returned no user for %s", userpb.ServiceName, u.Email)
	}
	return printUser(cmd.out, cmd.asJSON, rsp.GetUser())
}

// userCreateError turns the failure of a Create into the error run reports:
// a taken email or a refused field first, then callError's.
func (cmd *commands) userCreateError(ctx context.Context, u newUser, err error) error {
	if ctx.Err() == nil {
		switch f := rpcerr.Classify(err); f.Reason {
		case rpcerr.Conflict:
			return errorf(exitBadInput, "%s is already registered: sign in with '%s login --email %s'", u.Email, progName, u.Email)
		case rpcerr.Invalid:
			return errorf(exitBadInput, "rejected by %s: %s", userpb.ServiceName, f.Detail)
		}
	}
	return cmd.callError(ctx, userpb.ServiceName, err)
}

// login signs in as email with the password it reads, stores the token it
// gets and prints who signed in and until when.
func (cmd *commands) login(ctx context.Context, email string) error {
	pw, err := cmd.passwords.Password(ctx, "Password for "+email+": ", false)
	if err != nil {
		return err
	}
	if pw == "" {
		return errorf(exitBadInput, "password: required")
	}
	tok, err := call(ctx, cmd.timeout, func(ctx context.Context) (*userpb.Token, error) {
		return cmd.users.Auth(ctx, &userpb.User{Email: email, Password: pw})
	})
	if err != nil {
		return redact(cmd.loginError(ctx, err), pw)
	}
	if !isToken(tok.GetToken()) {
		return fmt.Errorf("%s returned no token", userpb.ServiceName)
	}
	if err := cmd.tokens.Save(tok.GetToken()); err != nil {
		return redact(err, tok.GetToken())
	}
	if cmd.tokenSource == sourceEnv {
		fmt.Fprintf(cmd.notes, "note: %s is set, so commands use it rather than the token stored now\n", EnvToken)
	}
	return printLogin(cmd.out, cmd.asJSON, cmd.now(), email, tok, cmd.tokens.Path())
}

// loginError turns the failure of an Auth into the error run reports: a
// refused email or password (401: the service does not say which) first,
// then callError's.
func (cmd *commands) loginError(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		switch f := rpcerr.Classify(err); {
		case f.Reason == rpcerr.Unauthenticated:
			return errorf(exitAuth, "wrong email or password")
		case f.Reason == rpcerr.Invalid:
			return errorf(exitBadInput, "rejected by %s: %s", userpb.ServiceName, f.Detail)
		}
	}
	return cmd.callError(ctx, userpb.ServiceName, err)
}

// logout removes the stored token; none stored is not an error.
func (cmd *commands) logout() error {
	removed, err := cmd.tokens.Remove()
	if err != nil {
		return err
	}
	if cmd.tokenSource == sourceEnv {
		fmt.Fprintf(cmd.notes, "note: %s is still set, and commands still use it\n", EnvToken)
	}
	return printLogout(cmd.out, cmd.asJSON, removed, cmd.tokens.Path())
}
