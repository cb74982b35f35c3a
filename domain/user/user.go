// Package user is the user domain that the user service and its clients
// share: users, the rules a registration keeps, and the errors the service
// reports. The service's package of the same name (shippy-service-user/user)
// adds accounts, password hashing and storage; the CLI uses these rules to
// reject bad input before it is sent.
//
// The policy of a registration (Registration.Validate):
//   - name: 1 to 100 characters (runes), not only spaces, no control
//     characters;
//   - company: 0 to 100 characters, no control characters;
//   - email: one plain address, local@domain, that net/mail.ParseAddress
//     accepts with no display name or angle brackets; surrounding space is
//     trimmed, and the rest is at most 254 bytes. Emails are unique without
//     regard to case (EmailKey);
//   - password: 8 to 72 bytes. bcrypt reads at most 72 bytes, so a longer
//     password is refused, never truncated.
//
// Every field must be valid UTF-8.
package user

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a registration's fields (see the package documentation).
const (
	MaxNameRunes     = 100
	MaxCompanyRunes  = 100
	MaxEmailBytes    = 254
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// Page sizes of a listing (AIP-158): a request without a limit gets a page
// of DefaultPageSize users, and a larger limit is lowered to MaxPageSize.
const (
	DefaultPageSize = 100
	MaxPageSize     = 500
)

// Errors the service reports. Callers test for them with errors.Is.
var (
	// ErrInvalid: the input breaks a rule. The error is a *FieldError that
	// names the field.
	ErrInvalid = errors.New("invalid user")
	// ErrNotFound: no user has the id or email.
	ErrNotFound = errors.New("user not found")
	// ErrConflict: the email (or id) is taken by another user.
	ErrConflict = errors.New("email already registered")
	// ErrBadCredentials: the email and password name no account. An
	// unknown email and a wrong password get this same error.
	ErrBadCredentials = errors.New("wrong email or password")
	// ErrUnavailable: the store did not answer; the call may be retried.
	ErrUnavailable = errors.New("unavailable")
	// ErrBusy: too many password checks are waiting already; the call may
	// be retried later.
	ErrBusy = errors.New("too many password checks waiting")
)

// Role says what a user may do.
type Role string

const (
	// RoleCustomer books and sees their own consignments. Every user
	// registers as one.
	RoleCustomer Role = "customer"
	// RoleOperator manages the fleet and sees every consignment and user.
	RoleOperator Role = "operator"
)

// ParseRole returns the role named s, or a *FieldError on "role".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleCustomer, RoleOperator:
		return r, nil
	}
	return "", &FieldError{Field: "role", Reason: fmt.Sprintf("must be %q or %q", RoleCustomer, RoleOperator)}
}

// User is a user as clients see it: never with a password or its hash.
type User struct {
	ID      string
	Name    string
	Company string
	Email   string
	Role    Role
	// CreatedAt is when the user registered.
	CreatedAt time.Time
}

// Registration is what a client sends to create a user.
type Registration struct {
	Name     string
	Company  string
	Email    string
	Password string
}

// FieldError says which field breaks which rule. Field is named as in the
// proto form: "email", "password", "page_token". Reason never contains the
// field's value. It matches ErrInvalid under errors.Is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate returns a *FieldError for the first rule r breaks, checking
// name, company, email and password in that order, or nil.
func (r Registration) Validate() error {
	if err := checkText("name", r.Name, MaxNameRunes, true); err != nil {
		return err
	}
	if err := checkText("company", r.Company, MaxCompanyRunes, false); err != nil {
		return err
	}
	if err := ValidateEmail(r.Email); err != nil {
		return err
	}
	return ValidatePassword(r.Password)
}

// checkText checks a name-like field: valid UTF-8, at most max runes, no
// control characters, and, when required, not empty or only space.
func checkText(field, value string, max int, required bool) error {
	switch {
	case !utf8.ValidString(value):
		return &FieldError{field, "not valid UTF-8"}
	case required && strings.TrimSpace(value) == "":
		return &FieldError{field, "required"}
	case utf8.RuneCountInString(value) > max:
		return &FieldError{field, fmt.Sprintf("longer than %d characters", max)}
	case strings.ContainsFunc(value, unicode.IsControl):
		return &FieldError{field, "contains a control character"}
	}
	return nil
}

// ValidateEmail returns a *FieldError on "email" unless e, with surrounding
// space trimmed, is one plain address of at most MaxEmailBytes bytes.
func ValidateEmail(e string) error {
	e = strings.TrimSpace(e)
	switch {
	case !utf8.ValidString(e):
		return &FieldError{"email", "not valid UTF-8"}
	case e == "":
		return &FieldError{"email", "required"}
	case len(e) > MaxEmailBytes:
		return &FieldError{"email", fmt.Sprintf("longer than %d bytes", MaxEmailBytes)}
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Name != "" || addr.Address != e {
		return &FieldError{"email", "not an email address of the form name@example.com"}
	}
	return nil
}

// ValidatePassword returns a *FieldError on "password" unless p is valid
// UTF-8 of MinPasswordBytes to MaxPasswordBytes bytes. The reason never
// contains the password.
func ValidatePassword(p string) error {
	switch {
	case !utf8.ValidString(p):
		return &FieldError{"password", "not valid UTF-8"}
	case len(p) < MinPasswordBytes:
		return &FieldError{"password", fmt.Sprintf("shorter than %d bytes", MinPasswordBytes)}
	case len(p) > MaxPasswordBytes:
		return &FieldError{"password", fmt.Sprintf("longer than %d bytes (bcrypt reads no more)", MaxPasswordBytes)}
	}
	return nil
}

// EmailKey returns the identity of an email that uniqueness is checked
// on: trimmed of surrounding space and lower-cased, so that
// "Ann@Example.com " and "ann@example.com" are one account.
func EmailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
