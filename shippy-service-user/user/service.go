package user

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
)

// Announcer makes the events that announce what the service did, for the
// repository to store with the fact (Repository.Create).
type Announcer interface {
	// Created returns the event that announces u, just registered, under
	// a new event id. It never carries the password or its hash.
	Created(u domainuser.User) (outbox.Message, error)
}

// Service registers users, checks their passwords and keeps their
// accounts. It is safe for concurrent use.
type Service struct {
	repo     Repository
	hasher   Hasher
	announce Announcer
	newID    func() string
	now      func() time.Time
	// decoy is the hash of a password nobody knows, checked when a login
	// names an unknown email so that it takes as long as a wrong password.
	decoy []byte
}

// NewService returns a Service that stores accounts in repo, hashes
// passwords with hasher, stores the event of each registration
// (announce.Created) with the account, gives each new user an id from
// newID, and reads
// the time from now (time.Now in production). It hashes one password, for
// Authenticate's decoy, before it returns.
func NewService(repo Repository, hasher Hasher, announce Announcer, newID func() string, now func() time.Time) (*Service, error) {
	switch {
	case repo == nil:
		return nil, errors.New("new user service: nil repository")
	case hasher == nil:
		return nil, errors.New("new user service: nil hasher")
	case announce == nil:
		return nil, errors.New("new user service: nil announcer")
	case newID == nil:
		return nil, errors.New("new user service: nil id generator")
	case now == nil:
		return nil, errors.New("new user service: nil clock")
	}
	decoy, err := hasher.Hash(context.Background(), rand.Text())
	if err != nil {
		return nil, fmt.Errorf("new user service: hash the decoy password: %w", err)
	}
	return &Service{repo: repo, hasher: hasher, announce: announce, newID: newID, now: now, decoy: decoy}, nil
}

// Register validates r, hashes its password and stores the user as a
// customer, with a new id, its email trimmed of surrounding space, and
// CreatedAt now (in UTC, to the millisecond), together with the event
// that announces it (Announcer.Created). It returns the user as stored.
//
// Errors: a *FieldError (ErrInvalid) for input that breaks a rule;
// ErrConflict when the email is taken, whatever its case; ErrBusy and
// ErrUnavailable; anything else is internal.
func (s *Service) Register(ctx context.Context, r domainuser.Registration) (domainuser.User, error) {
	if err := r.Validate(); err != nil {
		return domainuser.User{}, err
	}
	email := strings.TrimSpace(r.Email)
	// Spare the hash for an email that is taken; Create checks again.
	switch _, err := s.repo.GetByEmail(ctx, email); {
	case err == nil:
		return domainuser.User{}, domainuser.ErrConflict
	case !errors.Is(err, domainuser.ErrNotFound):
		return domainuser.User{}, fmt.Errorf("register: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, r.Password)
	if err != nil {
		return domainuser.User{}, fmt.Errorf("register: %w", err)
	}
	id := s.newID()
	if id == "" {
		return domainuser.User{}, errors.New("register: id generator returned an empty id")
	}
	a := Account{
		User: domainuser.User{
			ID:        id,
			Name:      r.Name,
			Company:   r.Company,
			Email:     email,
			Role:      domainuser.RoleCustomer,
			CreatedAt: s.now().UTC().Truncate(time.Millisecond),
		},
		PasswordHash: hash,
	}
	event, err := s.announce.Created(a.User)
	if err != nil {
		return domainuser.User{}, fmt.Errorf("register: %w", err)
	}
	if err := s.repo.Create(ctx, a, event); err != nil {
		return domainuser.User{}, fmt.Errorf("register: %w", err)
	}
	return a.User, nil
}

// Authenticate returns the user whose email and password these are.
//
// Errors: ErrBadCredentials when no account has the email (whatever its
// case), when the password is wrong, and when either could not be an
// account's; an unknown email costs a password check all the same, so
// that it takes as long as a wrong password. ErrBusy, ctx's error and
// ErrUnavailable; anything else is internal.
func (s *Service) Authenticate(ctx context.Context, email, password string) (domainuser.User, error) {
	if domainuser.ValidateEmail(email) != nil || password == "" || len(password) > domainuser.MaxPasswordBytes {
		return domainuser.User{}, domainuser.ErrBadCredentials
	}
	a, err := s.repo.GetByEmail(ctx, email)
	hash := a.PasswordHash
	switch {
	case errors.Is(err, domainuser.ErrNotFound):
		hash = s.decoy
	case err != nil:
		return domainuser.User{}, fmt.Errorf("authenticate: %w", err)
	}
	switch cerr := s.hasher.Compare(ctx, hash, password); {
	case cerr == nil && err == nil:
		return a.User, nil
	case cerr == nil, errors.Is(cerr, domainuser.ErrBadCredentials):
		return domainuser.User{}, domainuser.ErrBadCredentials
	default:
		// The same for a known and an unknown email: ErrBusy says
		// nothing of the account.
		return domainuser.User{}, fmt.Errorf("authenticate: %w", cerr)
	}
}

// Get returns the user with the id. Errors: ErrNotFound, ErrUnavailable.
func (s *Service) Get(ctx context.Context, id string) (domainuser.User, error) {
	a, err := s.repo.Get(ctx, id)
	if err != nil {
		return domainuser.User{}, fmt.Errorf("get user: %w", err)
	}
	return a.User, nil
}

// List returns a page of users, oldest first. The page holds up to limit
// users: DefaultPageSize when limit is 0, MaxPageSize when limit is larger
// (AIP-158). pageToken is empty for the first page or the nextPageToken of
// the last one; nextPageToken is empty after the last page. A negative
// limit or a token that was not issued is a *FieldError (ErrInvalid) on
// "limit" or "page_token".
func (s *Service) List(ctx context.Context, limit int, pageToken string) ([]domainuser.User, string, error) {
	switch {
	case limit < 0:
		return nil, "", &domainuser.FieldError{Field: "limit", Reason: fmt.Sprintf("must not be negative, got %d", limit)}
	case limit == 0:
		limit = domainuser.DefaultPageSize
	case limit > domainuser.MaxPageSize:
		limit = domainuser.MaxPageSize
	}
	accounts, next, err := s.repo.List(ctx, limit, pageToken)
	if errors.Is(err, domainuser.ErrInvalid) {
		return nil, "", err // the token's *FieldError, as is
	}
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users := make([]domainuser.User, len(accounts))
	for i, a := range accounts {
		users[i] = a.User
	}
	return users, next, nil
}

// SetRole gives the user with the email (whatever its case) the role r,
// and returns the user with it: how the first operator is made.
// Errors: a *FieldError on "role" for a role that is not one;
// ErrNotFound; ErrUnavailable.
func (s *Service) SetRole(ctx context.Context, email string, r domainuser.Role) (domainuser.User, error) {
	if _, err := domainuser.ParseRole(string(r)); err != nil {
		return domainuser.User{}, err
	}
	a, err := s.repo.GetByEmail(ctx, email)
	if err != nil {
		return domainuser.User{}, fmt.Errorf("set role: %w", err)
	}
	if err := s.repo.SetRole(ctx, a.ID, r); err != nil {
		return domainuser.User{}, fmt.Errorf("set role: %w", err)
	}
	a.Role = r
	return a.User, nil
}
