package auth

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"

	"github.com/shippy-suite/shippy/platform/rpcerr"
)

// Metadata keys a token travels in. Over gRPC, keys arrive lower-case.
const (
	// MetadataAuthorization holds "Bearer <jwt>".
	MetadataAuthorization = "authorization"
	// MetadataToken holds the bare JWT, as the tutorial's part 4 client
	// sends it.
	MetadataToken = "token"
)

// bearer is the authorization scheme of a token.
const bearer = "Bearer"

// TokenFromMetadata returns the token of a call's metadata, its keys read
// case-insensitively: from "authorization: Bearer <jwt>" (scheme
// case-insensitive), else from "token: <jwt>". Empty values count as
// absent. Errors match ErrUnauthenticated: "missing token" when there is
// none, and a few words when the value is not a bearer token or a key is
// given twice with different values.
func TokenFromMetadata(md map[string]string) (string, error) {
	authorization, err := lookup(md, MetadataAuthorization)
	if err != nil {
		return "", err
	}
	if authorization != "" {
		scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
		if !ok || !strings.EqualFold(scheme, bearer) {
			return "", unauthenticated("authorization is not a bearer token")
		}
		return checkToken(strings.TrimLeft(token, " "))
	}
	token, err := lookup(md, MetadataToken)
	if err != nil {
		return "", err
	}
	if token != "" {
		return checkToken(strings.TrimSpace(token))
	}
	return "", unauthenticated("missing token")
}

// lookup returns the value of key in md, whatever the case of md's keys; ""
// when none has a value. Two values for one key are an error.
func lookup(md map[string]string, key string) (string, error) {
	var value string
	for k, v := range md {
		if v == "" || !strings.EqualFold(k, key) {
			continue
		}
		if value != "" && v != value {
			return "", unauthenticated("conflicting " + key + " metadata")
		}
		value = v
	}
	return value, nil
}

// checkToken refuses a token with white space or control characters in it,
// which no JWT has.
func checkToken(token string) (string, error) {
	if token == "" {
		return "", unauthenticated("empty bearer token")
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", unauthenticated("malformed token")
	}
	return token, nil
}

// Wrapper returns a go-micro handler wrapper that lets a call through to
// its handler only with a valid token in its metadata (TokenFromMetadata,
// Verify), with the caller's claims in the handler's context (ClaimsFrom).
// Calls of the endpoints ("Service.Method") for which open returns true
// are never refused: they carry the caller's claims when their token is
// valid, and none otherwise (a stale token must not stop a sign-in); a nil
// open opens none. A refused call is answered with
// rpcerr.Unauthenticated (401), its detail saying why, never with the
// token; when the key source cannot be asked, with rpcerr.Unavailable
// (503), which the platform's client retries elsewhere.
func (v *Verifier) Wrapper(open func(endpoint string) bool) server.HandlerWrapper {
	return wrapper(v, open)
}

// Wrapper is Verifier.Wrapper for the tokens of several issuers.
func (is Issuers) Wrapper(open func(endpoint string) bool) server.HandlerWrapper {
	return wrapper(is, open)
}

// wrapper is the handler wrapper of Verifier.Wrapper, checking tokens with
// v.
func wrapper(v interface {
	Verify(ctx context.Context, token string) (Claims, error)
}, open func(endpoint string) bool) server.HandlerWrapper {
	return func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp any) error {
			md, _ := metadata.FromContext(ctx)
			if open != nil && open(req.Endpoint()) {
				if token, err := TokenFromMetadata(md); err == nil {
					if claims, err := v.Verify(ctx, token); err == nil {
						ctx = withCaller(ctx, claims, req.Service())
					}
				}
				return next(ctx, req, rsp)
			}
			token, err := TokenFromMetadata(md)
			if err != nil {
				return rpcerr.New(req.Service(), rpcerr.Unauthenticated, err.Error())
			}
			claims, err := v.Verify(ctx, token)
			switch {
			case errors.Is(err, ErrUnauthenticated):
				return rpcerr.New(req.Service(), rpcerr.Unauthenticated, err.Error())
			case err != nil:
				return rpcerr.New(req.Service(), rpcerr.Unavailable, "signing keys unavailable")
			}
			return next(withCaller(ctx, claims, req.Service()), req, rsp)
		}
	}
}

// Require returns the caller's claims when their role is one of roles.
// Without claims in ctx it answers rpcerr.Unauthenticated (401); with a
// role not in roles, rpcerr.Forbidden (403). Handlers return its error as
// it is.
func Require(ctx context.Context, roles ...Role) (Claims, error) {
	c, ok := ctx.Value(claimsKey{}).(caller)
	if !ok {
		return Claims{}, rpcerr.New("", rpcerr.Unauthenticated, "unauthenticated: missing credentials")
	}
	if !slices.Contains(roles, c.claims.Role) {
		return Claims{}, rpcerr.New(c.service, rpcerr.Forbidden, "forbidden: requires role "+roleList(roles))
	}
	return c.claims, nil
}

// roleList names roles for a caller: "operator", "customer or operator".
func roleList(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, " or ")
}

// WithToken returns a copy of ctx whose go-micro metadata sends token as
// "Authorization: Bearer <token>" on the calls made with it. Whatever
// credentials the metadata held before (an authorization or token key, in
// any case, such as those of the call a handler is serving) are dropped,
// so that a service never forwards its caller's token. An empty token
// drops them and sends none.
func WithToken(ctx context.Context, token string) context.Context {
	md, _ := metadata.FromContext(ctx) // a copy
	if md == nil {
		md = metadata.Metadata{}
	}
	maps.DeleteFunc(md, func(k, _ string) bool {
		return strings.EqualFold(k, MetadataAuthorization) || strings.EqualFold(k, MetadataToken)
	})
	if token != "" {
		md["Authorization"] = bearer + " " + token
	}
	return metadata.NewContext(ctx, md)
}
