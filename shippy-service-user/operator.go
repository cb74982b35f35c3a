package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/crypto/bcrypt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/store"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// makeOperatorCmd is the subcommand that gives an account the operator
// role: `shippy-service-user make-operator EMAIL`.
const makeOperatorCmd = "make-operator"

// makeOperator gives the account with the email in args the operator role,
// in the store the environment names, and says so on stdout. It opens the
// store itself: with the embedded database, the service must be stopped
// first (it holds the file), and the role shows in the tokens signed
// after.
func makeOperator(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("usage: shippy-service-user %s EMAIL", makeOperatorCmd)
	}
	cfg, err := store.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	st, err := store.Open(cfg, backends(), slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("%w (stop the user service first: it holds the file)", err)
	}
	hasher, err := user.NewBcrypt(bcrypt.DefaultCost, user.BcryptLimits{})
	if err != nil {
		return errors.Join(err, st.Close())
	}
	// No account is registered: the announcer is never asked for an event.
	announcer, err := announce.New(func() string { return "" })
	if err != nil {
		return errors.Join(err, st.Close())
	}
	users, err := user.NewService(st.Repo, hasher, announcer, func() string { return "" }, time.Now)
	if err != nil {
		return errors.Join(err, st.Close())
	}
	u, err := users.SetRole(ctx, args[0], domainuser.RoleOperator)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, domainuser.ErrNotFound) {
		return fmt.Errorf("no account has the email %q: register it first (shippy-cli-consignment user create)", args[0])
	}
	if err != nil {
		return fmt.Errorf("make operator: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s (%s) is an operator; tokens signed from now on say so\n", u.Email, u.ID)
	return err
}
