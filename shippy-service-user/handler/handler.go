// Package handler serves the user service's go-micro API: it converts
// protobuf messages to domain values and back, calls the user domain,
// signs and checks tokens, and maps domain errors to go-micro errors in one
// place, answer.
//
// Create, Auth, ValidateToken and GetAll are open; Get needs a valid token
// (auth.Verifier.Wrapper puts its claims in the context; see Open).
// No answer carries a password, its hash or, but for Auth, a token.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// Service is what the handler needs of the user domain; *user.Service
// implements it.
type Service interface {
	Register(ctx context.Context, r domainuser.Registration) (domainuser.User, error)
	Authenticate(ctx context.Context, email, password string) (domainuser.User, error)
	Get(ctx context.Context, id string) (domainuser.User, error)
	List(ctx context.Context, limit int, pageToken string) ([]domainuser.User, string, error)
}

// Signer signs a token for a user; *auth.Signer implements it.
type Signer interface {
	Sign(subject string, role auth.Role, audience ...string) (token string, expires time.Time, err error)
}

// Verifier checks a token; *auth.Verifier implements it.
type Verifier interface {
	Verify(ctx context.Context, token string) (auth.Claims, error)
}

// Open reports whether endpoint ("UserService.Create") is served without
// a token: registering, signing in, checking a token, and GetAll, which
// shows a caller without one nobody (the tutorial's user CLI calls it
// before it signs in).
func Open(endpoint string) bool {
	switch endpoint {
	case "UserService.Create", "UserService.Auth", "UserService.ValidateToken", "UserService.GetAll":
		return true
	}
	return false
}

// Handler implements userpb.UserServiceHandler. A nil request is treated
// as an empty message.
type Handler struct {
	svc      Service
	signer   Signer
	verifier Verifier
	answers  *rpcerr.Answerer
}

var _ userpb.UserServiceHandler = (*Handler)(nil)

// New returns a Handler serving svc, signing tokens with signer and
// checking them with verifier. logger receives the errors callers only see
// as "internal error" or "unavailable".
func New(svc Service, signer Signer, verifier Verifier, logger *slog.Logger) (*Handler, error) {
	if svc == nil || signer == nil || verifier == nil {
		return nil, errors.New("new handler: a service, a signer and a verifier are required")
	}
	answers, err := rpcerr.NewAnswerer(userpb.ServiceName, logger, answer)
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	return &Handler{svc: svc, signer: signer, verifier: verifier, answers: answers}, nil
}

// Create registers a customer and answers with the account, its password
// empty. 400 for a field that breaks a rule, 409 for an email taken.
func (h *Handler) Create(ctx context.Context, req *userpb.User, rsp *userpb.Response) error {
	u, err := h.svc.Register(ctx, domainuser.Registration{
		Name: req.GetName(), Company: req.GetCompany(), Email: req.GetEmail(), Password: req.GetPassword(),
	})
	if err != nil {
		return h.answers.Answer(ctx, "Create", err)
	}
	rsp.User = userToPB(u)
	return nil
}

// Get answers with the user with the id (the caller when it is empty): a
// customer may get only themselves, and another id is 404 to them.
func (h *Handler) Get(ctx context.Context, req *userpb.User, rsp *userpb.Response) error {
	claims, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator)
	if err != nil {
		return err
	}
	id := req.GetId()
	if id == "" {
		id = claims.Subject
	}
	if id != claims.Subject && claims.Role != auth.RoleOperator {
		return h.answers.Answer(ctx, "Get", domainuser.ErrNotFound)
	}
	u, err := h.svc.Get(ctx, id)
	if err != nil {
		return h.answers.Answer(ctx, "Get", err)
	}
	rsp.User = userToPB(u)
	return nil
}

// GetAll answers with a page of the users the caller may see: a caller
// without a valid token, none; a customer, only themselves; an operator,
// every user, oldest first.
func (h *Handler) GetAll(ctx context.Context, req *userpb.Request, rsp *userpb.Response) error {
	if _, ok := auth.ClaimsFrom(ctx); !ok {
		return nil
	}
	claims, err := auth.Require(ctx, auth.RoleCustomer, auth.RoleOperator)
	if err != nil {
		return err
	}
	if claims.Role != auth.RoleOperator {
		u, err := h.svc.Get(ctx, claims.Subject)
		if err != nil {
			return h.answers.Answer(ctx, "GetAll", err)
		}
		rsp.Users = []*userpb.User{userToPB(u)}
		return nil
	}
	users, next, err := h.svc.List(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return h.answers.Answer(ctx, "GetAll", err)
	}
	rsp.Users = make([]*userpb.User, len(users))
	for i, u := range users {
		rsp.Users[i] = userToPB(u)
	}
	rsp.NextPageToken = next
	return nil
}

// Auth checks an email and password and answers with a token for the
// user. 401 "wrong email or password" for an unknown email as for a wrong
// password.
func (h *Handler) Auth(ctx context.Context, req *userpb.User, rsp *userpb.Token) error {
	u, err := h.svc.Authenticate(ctx, req.GetEmail(), req.GetPassword())
	if err != nil {
		return h.answers.Answer(ctx, "Auth", err)
	}
	token, expires, err := h.signer.Sign(u.ID, auth.Role(u.Role), userpb.TokenAudience)
	if err != nil {
		return h.answers.Answer(ctx, "Auth", fmt.Errorf("sign token: %w", err))
	}
	rsp.Token, rsp.Valid, rsp.UserId, rsp.ExpiresUnix, rsp.Role = token, true, u.ID, expires.Unix(), string(u.Role)
	return nil
}

// ValidateToken answers whether the token is one this service signed, not
// expired, and whose user it names. An invalid token is a 401, not an
// answer with valid false: the tutorial's clients check only the error.
func (h *Handler) ValidateToken(ctx context.Context, req *userpb.Token, rsp *userpb.Token) error {
	claims, err := h.verifier.Verify(ctx, req.GetToken())
	if err != nil {
		return h.answers.Answer(ctx, "ValidateToken", err)
	}
	rsp.Valid, rsp.UserId, rsp.ExpiresUnix, rsp.Role = true, claims.Subject, claims.ExpiresAt.Unix(), string(claims.Role)
	return nil
}

// answer maps an error of the user domain or of a token check to the
// reason and the detail the caller sees.
func answer(err error) (rpcerr.Reason, string) {
	if fe, ok := errors.AsType[*domainuser.FieldError](err); ok {
		return rpcerr.Invalid, fe.Error()
	}
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return rpcerr.Unauthenticated, err.Error() // never the token: see auth.Verifier
	case errors.Is(err, domainuser.ErrBadCredentials):
		return rpcerr.Unauthenticated, domainuser.ErrBadCredentials.Error()
	case errors.Is(err, domainuser.ErrConflict):
		return rpcerr.Conflict, "email: already registered"
	case errors.Is(err, domainuser.ErrNotFound):
		return rpcerr.NotFound, "user not found"
	case errors.Is(err, domainuser.ErrBusy):
		return rpcerr.Unavailable, "too many sign-ins at once, retry shortly"
	case errors.Is(err, domainuser.ErrUnavailable):
		return rpcerr.Unavailable, "user store unavailable"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return rpcerr.Timeout, "deadline exceeded or call cancelled"
	}
	return rpcerr.Internal, "internal error"
}

// userToPB converts a user for an answer: never with a password.
func userToPB(u domainuser.User) *userpb.User {
	return &userpb.User{Id: u.ID, Name: u.Name, Company: u.Company, Email: u.Email, Role: string(u.Role)}
}
