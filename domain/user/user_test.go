package user_test

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/shippy-suite/shippy/domain/user"
)

// valid returns a registration that keeps every rule.
func valid() user.Registration {
	return user.Registration{Name: "Ewan Valentine", Company: "Shippy", Email: "ewan@example.com", Password: "correct horse"}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const invalidUTF8 = "ab\xffcd"
	tests := []struct {
		name   string
		change func(r *user.Registration)
		// wantField is the field the FieldError names; empty means valid.
		wantField  string
		wantReason string
	}{
		{name: "valid", change: func(*user.Registration) {}},
		{name: "name required", change: func(r *user.Registration) { r.Name = "" }, wantField: "name", wantReason: "required"},
		{name: "name only spaces", change: func(r *user.Registration) { r.Name = " \t " }, wantField: "name", wantReason: "required"},
		{name: "name of one character", change: func(r *user.Registration) { r.Name = "Ö" }},
		{name: "name at the limit, in characters", change: func(r *user.Registration) { r.Name = strings.Repeat("é", 100) }},
		{name: "name too long", change: func(r *user.Registration) { r.Name = strings.Repeat("n", 101) }, wantField: "name", wantReason: "longer than 100 characters"},
		{name: "name not UTF-8", change: func(r *user.Registration) { r.Name = invalidUTF8 }, wantField: "name", wantReason: "not valid UTF-8"},
		{name: "name with a newline", change: func(r *user.Registration) { r.Name = "Ann\nEvil" }, wantField: "name", wantReason: "contains a control character"},
		{name: "name with NUL", change: func(r *user.Registration) { r.Name = "Ann\x00" }, wantField: "name", wantReason: "contains a control character"},
		{name: "company empty is allowed", change: func(r *user.Registration) { r.Company = "" }},
		{name: "company at the limit", change: func(r *user.Registration) { r.Company = strings.Repeat("東", 100) }},
		{name: "company too long", change: func(r *user.Registration) { r.Company = strings.Repeat("c", 101) }, wantField: "company", wantReason: "longer than 100 characters"},
		{name: "company not UTF-8", change: func(r *user.Registration) { r.Company = invalidUTF8 }, wantField: "company", wantReason: "not valid UTF-8"},
		{name: "company with a tab", change: func(r *user.Registration) { r.Company = "a\tb" }, wantField: "company", wantReason: "contains a control character"},
		{name: "email required", change: func(r *user.Registration) { r.Email = "" }, wantField: "email", wantReason: "required"},
		{name: "email only spaces", change: func(r *user.Registration) { r.Email = "   " }, wantField: "email", wantReason: "required"},
		{name: "email with surrounding space", change: func(r *user.Registration) { r.Email = "  ewan@example.com\n" }},
		{name: "email in capitals", change: func(r *user.Registration) { r.Email = "EWAN@Example.COM" }},
		{name: "email with a plus", change: func(r *user.Registration) { r.Email = "ewan+ships@example.co.uk" }},
		{name: "email at the limit", change: func(r *user.Registration) {
			r.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"
		}},
		{name: "email too long", change: func(r *user.Registration) {
			r.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com"
		}, wantField: "email", wantReason: "longer than 254 bytes"},
		{name: "email without @", change: func(r *user.Registration) { r.Email = "ewan.example.com" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email without domain", change: func(r *user.Registration) { r.Email = "ewan@" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email with a display name", change: func(r *user.Registration) { r.Email = "Ewan <ewan@example.com>" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email in angle brackets", change: func(r *user.Registration) { r.Email = "<ewan@example.com>" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "two emails", change: func(r *user.Registration) { r.Email = "a@example.com, b@example.com" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email with a comment", change: func(r *user.Registration) { r.Email = "ewan@example.com (work)" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email with space inside", change: func(r *user.Registration) { r.Email = "ewan valentine@example.com" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
		{name: "email not UTF-8", change: func(r *user.Registration) { r.Email = "a\xff@example.com" }, wantField: "email", wantReason: "not valid UTF-8"},
		{name: "password too short", change: func(r *user.Registration) { r.Password = "1234567" }, wantField: "password", wantReason: "shorter than 8 bytes"},
		{name: "password empty", change: func(r *user.Registration) { r.Password = "" }, wantField: "password", wantReason: "shorter than 8 bytes"},
		{name: "password at the minimum", change: func(r *user.Registration) { r.Password = "12345678" }},
		{name: "password at the maximum", change: func(r *user.Registration) { r.Password = strings.Repeat("p", 72) }},
		{name: "password too long", change: func(r *user.Registration) { r.Password = strings.Repeat("p", 73) }, wantField: "password", wantReason: "longer than 72 bytes (bcrypt reads no more)"},
		{name: "password counts bytes, not characters", change: func(r *user.Registration) { r.Password = strings.Repeat("é", 37) }, wantField: "password", wantReason: "longer than 72 bytes (bcrypt reads no more)"},
		{name: "password of four characters in 8 bytes", change: func(r *user.Registration) { r.Password = "éééé" }},
		{name: "password not UTF-8", change: func(r *user.Registration) { r.Password = "password\xff" }, wantField: "password", wantReason: "not valid UTF-8"},
		{name: "password with spaces is kept as is", change: func(r *user.Registration) { r.Password = "  spaced  " }},
		{name: "first broken rule wins: name before email", change: func(r *user.Registration) { r.Name = ""; r.Email = "" }, wantField: "name", wantReason: "required"},
		{name: "first broken rule wins: company before password", change: func(r *user.Registration) { r.Company = invalidUTF8; r.Password = "" }, wantField: "company", wantReason: "not valid UTF-8"},
		{name: "first broken rule wins: email before password", change: func(r *user.Registration) { r.Email = "x"; r.Password = "" }, wantField: "email", wantReason: "not an email address of the form name@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tt.change(&r)
			err := r.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *user.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.wantField || fe.Reason != tt.wantReason {
				t.Errorf("Validate() = {Field: %q, Reason: %q}, want {Field: %q, Reason: %q}", fe.Field, fe.Reason, tt.wantField, tt.wantReason)
			}
			if !errors.Is(err, user.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
			}
		})
	}
}

// TestValidateAlone checks ValidateEmail and ValidatePassword on their own,
// as the CLI calls them.
func TestValidateAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		wantField string // empty: want nil
	}{
		{name: "email", err: user.ValidateEmail("a@b.example")},
		{name: "bad email", err: user.ValidateEmail("a"), wantField: "email"},
		{name: "password", err: user.ValidatePassword("long enough")},
		{name: "short password", err: user.ValidatePassword("short"), wantField: "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fe *user.FieldError
			switch {
			case tt.wantField == "" && tt.err != nil:
				t.Errorf("got %v, want nil", tt.err)
			case tt.wantField != "" && (!errors.As(tt.err, &fe) || fe.Field != tt.wantField):
				t.Errorf("got %v, want a *FieldError on %s", tt.err, tt.wantField)
			}
		})
	}
}

// TestReasonsHideThePassword checks that no error of a refused password
// contains it.
func TestReasonsHideThePassword(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"secret1", strings.Repeat("secret", 13), "secret-\xff-secret"} {
		err := user.ValidatePassword(p)
		if err == nil {
			t.Fatalf("ValidatePassword(%q) = nil, want an error", p)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ValidatePassword error %q shows the password", err)
		}
	}
}

func TestEmailKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ email, want string }{
		{"ann@example.com", "ann@example.com"},
		{"Ann@Example.COM", "ann@example.com"},
		{"  ann@example.com\t\n", "ann@example.com"},
		{"ÄNN@Example.com", "änn@example.com"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := user.EmailKey(tt.email); got != tt.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    user.Role
		wantErr bool
	}{
		{in: "customer", want: user.RoleCustomer},
		{in: "operator", want: user.RoleOperator},
		{in: "Operator", wantErr: true},
		{in: "", wantErr: true},
		{in: "admin", wantErr: true},
	}
	for _, tt := range tests {
		got, err := user.ParseRole(tt.in)
		var fe *user.FieldError
		switch {
		case tt.wantErr && (!errors.As(err, &fe) || fe.Field != "role"):
			t.Errorf("ParseRole(%q) = %q, %v; want a *FieldError on role", tt.in, got, err)
		case !tt.wantErr && (err != nil || got != tt.want):
			t.Errorf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFieldError(t *testing.T) {
	t.Parallel()
	err := error(&user.FieldError{Field: "email", Reason: "required"})
	if got, want := err.Error(), "email: required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, user.ErrInvalid) {
		t.Error("errors.Is(FieldError, ErrInvalid) = false, want true")
	}
	for _, other := range []error{user.ErrNotFound, user.ErrConflict, user.ErrBadCredentials, user.ErrUnavailable, user.ErrBusy} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(FieldError, %v) = true, want false", other)
		}
	}
}

// FuzzValidate checks that Validate never panics, that every error it
// returns is a *FieldError matching ErrInvalid that does not show the
// password, and that what it accepts keeps the rules.
func FuzzValidate(f *testing.F) {
	f.Add("Ann", "Shippy", "ann@example.com", "password")
	f.Add("", "", "", "")
	f.Add("\xff", "\x00", "<a@b>", "\xc3")
	f.Add(strings.Repeat("n", 101), "c", "Ann <a@b.c>", strings.Repeat("p", 73))
	f.Add("Ann", "", ` "quoted local"@example.com `, "12345678")
	f.Fuzz(func(t *testing.T, name, company, email, password string) {
		r := user.Registration{Name: name, Company: company, Email: email, Password: password}
		err := r.Validate()
		if err == nil {
			trimmed := strings.TrimSpace(email)
			addr, perr := mail.ParseAddress(trimmed)
			switch {
			case !utf8.ValidString(name + company + email + password):
				t.Fatalf("Validate() accepted invalid UTF-8: %+v", r)
			case strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > user.MaxNameRunes:
				t.Fatalf("Validate() accepted name %q", name)
			case utf8.RuneCountInString(company) > user.MaxCompanyRunes:
				t.Fatalf("Validate() accepted company %q", company)
			case strings.ContainsFunc(name+company, unicode.IsControl):
				t.Fatalf("Validate() accepted a control character: %q, %q", name, company)
			case len(trimmed) > user.MaxEmailBytes || perr != nil || addr.Name != "" || addr.Address != trimmed:
				t.Fatalf("Validate() accepted email %q", email)
			case len(password) < user.MinPasswordBytes || len(password) > user.MaxPasswordBytes:
				t.Fatalf("Validate() accepted a password of %d bytes", len(password))
			}
			return
		}
		var fe *user.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("Validate() = %v (%T), want a *FieldError", err, err)
		}
		if fe.Field == "" || fe.Reason == "" {
			t.Errorf("FieldError %+v has an empty field or reason", fe)
		}
		if !errors.Is(err, user.ErrInvalid) {
			t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
		}
		if fe.Field == "password" && len(password) >= 4 && strings.Contains(fe.Reason, password) {
			t.Errorf("FieldError %q shows the password", fe)
		}
	})
}
