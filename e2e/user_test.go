package e2e

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// Settings of the user service the tests set or read.
const (
	envTokenTTL       = "TOKEN_TTL"
	envPrivateKeyFile = "AUTH_PRIVATE_KEY_FILE"
	// signingKeyFile is the signing key's file in DATA_DIR when
	// AUTH_PRIVATE_KEY_FILE is unset.
	signingKeyFile = "auth-signing-key.pem"
	// keyMadeMsg is the log message of a user service that made its
	// signing key.
	keyMadeMsg = "made a new signing key for tokens"
)

// tokenTTL is the TOKEN_TTL the tests give the user service.
const tokenTTL = 2 * time.Minute

// userService is a running user service and a go-micro client of it.
type userService struct {
	*service
	users userpb.UserService
}

// startUser starts the user service on dataDir with TOKEN_TTL=tokenTTL
// and env ("KEY=value" each) last, and returns it once discoverable, with
// a new client. It is stopped when t ends and must exit 0 then.
func startUser(t *testing.T, dataDir string, env ...string) *userService {
	t.Helper()
	env = programEnv(append([]string{
		"DATA_DIR=" + dataDir,
		envTokenTTL + "=" + tokenTTL.String(),
		platform.EnvShutdownTimeout + "=" + shutdownTimeout.String(),
		platform.EnvLogLevel + "=info",
	}, env...)...)
	s := startService(t, t, progUser, userpb.ServiceName, env)
	micro := newMicroClient(t, env, userpb.ServiceName)
	return &userService{service: s, users: userpb.NewUserService(userpb.ServiceName, micro)}
}

// callContext returns a context for one call of the tests' client.
func callContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newUser returns a valid Create request for name.
func newUser(name string) *userpb.User {
	return &userpb.User{Name: name, Company: name + " Ltd", Email: name + "@example.com", Password: "correct horse " + name}
}

// create registers u, or fails t; it returns the answer's user.
func (u *userService) create(t *testing.T, req *userpb.User) *userpb.User {
	t.Helper()
	rsp, err := u.users.Create(callContext(t), req)
	if err != nil {
		t.Fatalf("Create %s: %v", req.GetEmail(), err)
	}
	return rsp.GetUser()
}

// login authenticates req's email and password, or fails t.
func (u *userService) login(t *testing.T, req *userpb.User) *userpb.Token {
	t.Helper()
	rsp, err := u.users.Auth(callContext(t), &userpb.User{Email: req.GetEmail(), Password: req.GetPassword()})
	if err != nil {
		t.Fatalf("Auth %s: %v", req.GetEmail(), err)
	}
	return rsp
}

// wantRefused fails t unless err is the user service's answer with reason
// want, and returns its detail.
func wantRefused(t *testing.T, err error, want rpcerr.Reason) string {
	t.Helper()
	return wantRefusedBy(t, err, userpb.ServiceName, want)
}

// wantRefusedBy fails t unless err is the answer of the service named
// service with reason want, and returns its detail.
func wantRefusedBy(t *testing.T, err error, service string, want rpcerr.Reason) string {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (%d)", want, want.Code())
	}
	f := rpcerr.Classify(err)
	if f.Reason != want || f.Code != want.Code() || f.Service != service {
		t.Fatalf("got %s (%d) from %q, want %s (%d) from %s: %v",
			f.Reason, f.Code, f.Service, want, want.Code(), service, err)
	}
	return f.Detail
}

// wantUser fails t unless got is want with the id and role the service
// gave it and an empty password.
func wantUser(t *testing.T, got, want *userpb.User, id string) {
	t.Helper()
	w := &userpb.User{Id: id, Name: want.GetName(), Company: want.GetCompany(), Email: want.GetEmail(), Role: string(auth.RoleCustomer)}
	if !proto.Equal(got, w) {
		t.Errorf("user:\n got %v\nwant %v", got, w)
	}
}

// jwtHeader and jwtClaims are a token's header and claims as the tests read
// them, without checking its signature.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss  string   `json:"iss"`
	Aud  []string `json:"aud"`
	Sub  string   `json:"sub"`
	Iat  int64    `json:"iat"`
	Exp  int64    `json:"exp"`
	Role string   `json:"role"`
}

// decodeToken returns the header and the claims of token, and the names of
// every claim in it, or fails t.
func decodeToken(t *testing.T, token string) (jwtHeader, jwtClaims, []string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	decode := func(part string, v any) {
		b, err := base64.RawURLEncoding.DecodeString(part)
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			t.Fatalf("token part is not base64url JSON: %v", err)
		}
	}
	var h jwtHeader
	var c jwtClaims
	var all map[string]json.RawMessage
	decode(parts[0], &h)
	decode(parts[1], &c)
	decode(parts[1], &all)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	})
	return h, c, names
}

// forge returns a token of header and claims signed with key, or with an
// empty signature when key is nil: what no signer of the suite makes.
func forge(t *testing.T, header jwtHeader, claims jwtClaims, key ed25519.PrivateKey) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if key != nil {
		sig = ed25519.Sign(key, []byte(signed))
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// swapClaims returns token with its claims replaced by claims, and its
// header and signature kept.
func swapClaims(t *testing.T, token string, claims jwtClaims) string {
	t.Helper()
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(c)
	return strings.Join(parts, ".")
}

// truncateSignature returns token with its signature cut at least n bytes
// short, at a boundary of base64url's 4-character groups, so that what is
// left still decodes.
func truncateSignature(token string, n int) string {
	i := strings.LastIndex(token, ".") + 1
	sig := token[i:]
	keep := len(sig)/4*4 - (n+2)/3*4
	return token[:i+keep]
}

// cutToBadLength returns token with its signature cut to a length of 4n+1
// characters, which no base64url text has.
func cutToBadLength(token string) string {
	i := strings.LastIndex(token, ".") + 1
	return token[:i+(len(token)-i-2)/4*4+1]
}

// sign returns a customer's token for sub signed with key by issuer for
// aud, as if signed at now with the service's TOKEN_TTL.
func sign(t *testing.T, key auth.PrivateKey, issuer string, now time.Time, sub string, aud ...string) string {
	t.Helper()
	return signToken(t, key, issuer, auth.RoleCustomer, now, tokenTTL, sub, aud...)
}

// signToken returns a token for sub with role, signed with key by issuer
// for aud, as if signed at now, and valid for ttl from then.
func signToken(t *testing.T, key auth.PrivateKey, issuer string, role auth.Role, now time.Time, ttl time.Duration, sub string, aud ...string) string {
	t.Helper()
	signer, err := auth.NewSigner(key, issuer, ttl, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := signer.Sign(sub, role, aud...)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// logLines returns the JSON log lines of logs whose msg is msg, each as a
// map of its attributes.
func logLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var found []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			found = append(found, line)
		}
	}
	return found
}

// wantNotLogged fails t when the service's output so far holds one of
// secrets (passwords, tokens, or a part of one).
func (u *userService) wantNotLogged(t *testing.T, secrets ...string) {
	t.Helper()
	out := u.stdout.String() + u.stderr.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the service logged the secret %q", s)
		}
	}
}

// TestUserCreate registers users through a go-micro client: an answer
// carries the id and role the service gave and an empty password; an email
// taken in another case is a conflict; bad input is refused with the field
// named, and stores nothing.
func TestUserCreate(t *testing.T) {
	requireE2E(t)
	u := startUser(t, t.TempDir())

	t.Run("answer", func(t *testing.T) {
		req := newUser("ann")
		got := u.create(t, req)
		if got.GetId() == "" {
			t.Fatalf("Create answered no id: %v", got)
		}
		wantUser(t, got, req, got.GetId())
		again := u.create(t, newUser("bob"))
		if again.GetId() == got.GetId() {
			t.Errorf("two users have the id %s", got.GetId())
		}
	})

	t.Run("email taken in another case", func(t *testing.T) {
		u.create(t, newUser("carol"))
		for _, email := range []string{"carol@example.com", "CAROL@Example.COM", "Carol@example.com"} {
			req := newUser("carol2")
			req.Email = email
			_, err := u.users.Create(callContext(t), req)
			if detail := wantRefused(t, err, rpcerr.Conflict); !strings.HasPrefix(detail, "email:") {
				t.Errorf("%s: detail %q does not name the field email", email, detail)
			}
		}
	})

	long := strings.Repeat("p", 73)
	tests := []struct {
		name  string
		edit  func(*userpb.User)
		field string
	}{
		{"short password", func(r *userpb.User) { r.Password = "Zq7!x" }, "password"},
		{"empty password", func(r *userpb.User) { r.Password = "" }, "password"},
		{"password over 72 bytes", func(r *userpb.User) { r.Password = long }, "password"},
		{"password of 73 bytes, the last character of 2",
			func(r *userpb.User) { r.Password = strings.Repeat("p", 71) + "é" }, "password"},
		{"bad email", func(r *userpb.User) { r.Email = "not-an-email" }, "email"},
		{"email with a display name", func(r *userpb.User) { r.Email = "Dan <" + r.Email + ">" }, "email"},
		{"empty name", func(r *userpb.User) { r.Name = "" }, "name"},
		{"name of spaces", func(r *userpb.User) { r.Name = "   " }, "name"},
		{"name over 100 characters", func(r *userpb.User) { r.Name = strings.Repeat("n", 101) }, "name"},
		{"company over 100 characters", func(r *userpb.User) { r.Company = strings.Repeat("c", 101) }, "company"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			valid := newUser("bad" + string(rune('a'+i)))
			req := proto.CloneOf(valid)
			tt.edit(req)
			_, err := u.users.Create(callContext(t), req)
			detail := wantRefused(t, err, rpcerr.Invalid)
			if !strings.HasPrefix(detail, tt.field+":") {
				t.Errorf("detail %q does not name the field %s", detail, tt.field)
			}
			if req.GetPassword() != "" && strings.Contains(detail, req.GetPassword()) {
				t.Errorf("detail %q holds the password", detail)
			}
			// Nothing was stored: the email is free.
			got := u.create(t, valid)
			wantUser(t, got, valid, got.GetId())
		})
	}
}

// TestUserAuth signs in: the right password gets a token for the user that
// expires TOKEN_TTL ahead and says nothing secret; a wrong password and an
// unknown email get the same refusal.
func TestUserAuth(t *testing.T) {
	requireE2E(t)
	u := startUser(t, t.TempDir(), platform.EnvLogLevel+"=debug")
	ann := newUser("ann")
	id := u.create(t, ann).GetId()
	var tokens []string

	t.Run("right password", func(t *testing.T) {
		for _, email := range []string{ann.GetEmail(), strings.ToUpper(ann.GetEmail())} {
			before := time.Now().Truncate(time.Second)
			tok := u.login(t, &userpb.User{Email: email, Password: ann.GetPassword()})
			after := time.Now()
			tokens = append(tokens, strings.Split(tok.GetToken(), ".")[2])
			if tok.GetToken() == "" || !tok.GetValid() || tok.GetUserId() != id || tok.GetRole() != string(auth.RoleCustomer) {
				t.Errorf("Auth %s: got valid %v, user %q, role %q, a token: %v; want valid, user %s, role customer, a token",
					email, tok.GetValid(), tok.GetUserId(), tok.GetRole(), tok.GetToken() != "", id)
			}
			exp := time.Unix(tok.GetExpiresUnix(), 0)
			if exp.Before(before.Add(tokenTTL)) || exp.After(after.Add(tokenTTL)) {
				t.Errorf("expires_unix %v, want %v ahead of the call (from %v to %v)",
					exp, tokenTTL, before.Add(tokenTTL), after.Add(tokenTTL))
			}
			h, c, names := decodeToken(t, tok.GetToken())
			if want := []string{"aud", "exp", "iat", "iss", "role", "sub"}; !slices.Equal(names, want) {
				t.Errorf("token claims %v, want exactly %v", names, want)
			}
			if h.Alg != "EdDSA" || h.Kid == "" || c.Sub != id || c.Iss != userpb.ServiceName ||
				c.Exp != tok.GetExpiresUnix() || c.Exp-c.Iat != int64(tokenTTL/time.Second) || len(c.Aud) == 0 {
				t.Errorf("token header %+v, claims %+v: want alg EdDSA, a kid, sub %s, iss %s, exp %d = iat + %v, an audience",
					h, c, id, userpb.ServiceName, tok.GetExpiresUnix(), tokenTTL)
			}
		}
	})

	// bcrypt reads 72 bytes: a password of 72 is whole, and a longer one
	// that starts with it must not match it.
	t.Run("password of 72 bytes", func(t *testing.T) {
		full := newUser("full")
		full.Password = strings.Repeat("0123456789", 7) + "ab"
		fullID := u.create(t, full).GetId()
		if got := u.login(t, full).GetUserId(); got != fullID {
			t.Errorf("Auth: user %q, want %q", got, fullID)
		}
		for _, password := range []string{full.GetPassword()[:71], full.GetPassword() + "c"} {
			_, err := u.users.Auth(callContext(t), &userpb.User{Email: full.GetEmail(), Password: password})
			wantRefused(t, err, rpcerr.Unauthenticated)
		}
	})

	var details []string
	for _, tt := range []struct{ name, email, password string }{
		{"wrong password", ann.GetEmail(), "not the password"},
		{"unknown email", "nobody@example.com", ann.GetPassword()},
		{"empty password", ann.GetEmail(), ""},
		{"password over 72 bytes", ann.GetEmail(), ann.GetPassword() + strings.Repeat("x", 72)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rsp, err := u.users.Auth(callContext(t), &userpb.User{Email: tt.email, Password: tt.password})
			detail := wantRefused(t, err, rpcerr.Unauthenticated)
			if rsp.GetToken() != "" {
				t.Errorf("refused Auth answered a token")
			}
			if tt.password != "" && strings.Contains(detail, tt.password) {
				t.Errorf("detail %q holds the password", detail)
			}
			details = append(details, detail)
		})
	}
	if len(slices.Compact(slices.Clone(details))) != 1 {
		t.Errorf("refusals of Auth differ, telling an unknown email from a wrong password: %q", details)
	}
	u.wantNotLogged(t, append(tokens, ann.GetPassword(), "not the password")...)
}

// TestUserValidateToken checks tokens: the service's own is accepted, and
// each kind of bad token is refused with 401 and a detail that says why
// (docs/auth.md) and never holds the token.
func TestUserValidateToken(t *testing.T) {
	requireE2E(t)
	u := startUser(t, t.TempDir(), platform.EnvLogLevel+"=debug")
	ann := newUser("ann")
	id := u.create(t, ann).GetId()
	good := u.login(t, ann)
	t.Cleanup(func() { u.wantNotLogged(t, strings.Split(good.GetToken(), ".")[2], ann.GetPassword()) })
	header, claims, _ := decodeToken(t, good.GetToken())
	key := u.signingKey(t)
	other, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("its own token", func(t *testing.T) {
		rsp, err := u.users.ValidateToken(callContext(t), &userpb.Token{Token: good.GetToken()})
		if err != nil {
			t.Fatalf("ValidateToken: %v", err)
		}
		if !rsp.GetValid() || rsp.GetUserId() != id || rsp.GetRole() != string(auth.RoleCustomer) ||
			rsp.GetExpiresUnix() != good.GetExpiresUnix() || rsp.GetToken() != "" {
			t.Errorf("ValidateToken: got %v, want valid, user %s, role customer, expires %d, no token",
				rsp, id, good.GetExpiresUnix())
		}
	})

	noneHeader := header
	noneHeader.Alg = "none"
	now := time.Now()
	tests := []struct {
		name  string
		token string
		why   string
	}{
		{"signed by another key", sign(t, other, userpb.ServiceName, now, id, claims.Aud...), "unknown signing key"},
		{"another key under the service's kid", forge(t, header, claims, other.Key), "wrong signature"},
		{"claims changed under the service's signature", swapClaims(t, good.GetToken(), jwtClaims{claims.Iss, claims.Aud, "someone-else", claims.Iat, claims.Exp, claims.Role}), "wrong signature"},
		{"truncated signature", truncateSignature(good.GetToken(), 4), "wrong signature"},
		{"signature cut to a length base64url cannot have", cutToBadLength(good.GetToken()), "malformed token"},
		{"truncated to two parts", good.GetToken()[:strings.LastIndex(good.GetToken(), ".")], "malformed token"},
		{"alg none", forge(t, noneHeader, claims, nil), "unsupported signing algorithm"},
		{"expired", sign(t, key, userpb.ServiceName, now.Add(-tokenTTL-time.Minute), id, claims.Aud...), "token expired"},
		{"issued for another audience", sign(t, key, userpb.ServiceName, now, id, "shippy.service.elsewhere"), "wrong audience"},
		{"issued by another issuer", sign(t, key, "shippy.service.elsewhere", now, id, claims.Aud...), "wrong issuer"},
		{"empty", "", "missing token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rsp, err := u.users.ValidateToken(callContext(t), &userpb.Token{Token: tt.token})
			detail := wantRefused(t, err, rpcerr.Unauthenticated)
			if want := "unauthenticated: " + tt.why; detail != want {
				t.Errorf("detail %q, want %q", detail, want)
			}
			for part := range strings.SplitSeq(tt.token, ".") {
				if part != "" && strings.Contains(detail, part) {
					t.Errorf("detail %q holds the token's part %q", detail, part)
				}
			}
			if rsp.GetValid() || rsp.GetUserId() != "" {
				t.Errorf("refused token answered %v", rsp)
			}
		})
	}
}

// TestUserGet calls Get and GetAll: without a valid token Get is refused
// and GetAll shows nobody (the tutorial's user CLI calls it before it signs
// in); with a customer's token, in either metadata key, the customer sees
// only themselves, and another user's id is not found.
func TestUserGet(t *testing.T) {
	requireE2E(t)
	u := startUser(t, t.TempDir())
	ann, bob := newUser("ann"), newUser("bob")
	annID, bobID := u.create(t, ann).GetId(), u.create(t, bob).GetId()
	token := u.login(t, ann).GetToken()

	t.Run("without a token", func(t *testing.T) {
		for _, ctx := range []context.Context{
			callContext(t),
			metadata.NewContext(callContext(t), metadata.Metadata{"Authorization": "Basic " + token}),
			auth.WithToken(callContext(t), "not.a.token"),
		} {
			_, err := u.users.Get(ctx, &userpb.User{Id: annID})
			wantRefused(t, err, rpcerr.Unauthenticated)
			rsp, err := u.users.GetAll(ctx, &userpb.Request{})
			if err != nil || len(rsp.GetUsers()) != 0 {
				t.Errorf("GetAll without a valid token = %v, %v; want nobody", rsp, err)
			}
		}
	})

	for _, cred := range []struct {
		name string
		ctx  func(context.Context) context.Context
	}{
		{"authorization bearer", func(ctx context.Context) context.Context { return auth.WithToken(ctx, token) }},
		{"tutorial's token key", func(ctx context.Context) context.Context {
			return metadata.NewContext(ctx, metadata.Metadata{"Token": token})
		}},
	} {
		t.Run(cred.name, func(t *testing.T) {
			for _, tt := range []struct {
				name string
				id   string
			}{{"own id", annID}, {"no id", ""}} {
				rsp, err := u.users.Get(cred.ctx(callContext(t)), &userpb.User{Id: tt.id})
				if err != nil {
					t.Fatalf("Get %s: %v", tt.name, err)
				}
				wantUser(t, rsp.GetUser(), ann, annID)
			}
			for _, other := range []string{bobID, "no-such-user"} {
				_, err := u.users.Get(cred.ctx(callContext(t)), &userpb.User{Id: other})
				wantRefused(t, err, rpcerr.NotFound)
			}
			rsp, err := u.users.GetAll(cred.ctx(callContext(t)), &userpb.Request{PageSize: 100})
			if err != nil {
				t.Fatalf("GetAll: %v", err)
			}
			if got := rsp.GetUsers(); len(got) != 1 || rsp.GetNextPageToken() != "" {
				t.Fatalf("GetAll: got %v, next page %q; want only %s", got, rsp.GetNextPageToken(), annID)
			}
			wantUser(t, rsp.GetUsers()[0], ann, annID)
		})
	}
}

// TestUserSigningKey starts the user service on an empty DATA_DIR: it makes
// its signing key there, private to its user, and says so; started again
// on the same DATA_DIR it keeps the key, and a token signed before the
// restart is still good.
func TestUserSigningKey(t *testing.T) {
	requireE2E(t)
	dir := t.TempDir()
	file := filepath.Join(dir, signingKeyFile)
	u := startUser(t, dir)

	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("no signing key in DATA_DIR: %v", err)
	}
	if got, want := st.Mode(), fs.FileMode(0o600); got != want {
		t.Errorf("signing key file mode %v, want %v", got, want)
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kid := u.signingKey(t).ID
	made := logLines(t, u.stdout.String(), keyMadeMsg)
	if len(made) != 1 || made[0]["file"] != file || made[0]["kid"] != kid {
		t.Errorf("log lines %q: got %v, want one with file %s and kid %s", keyMadeMsg, made, file, kid)
	}
	ann := newUser("ann")
	u.create(t, ann)
	before := u.login(t, ann)
	u.stop(t)

	again := startUser(t, dir)
	if made := logLines(t, again.stdout.String(), keyMadeMsg); len(made) != 0 {
		t.Errorf("restarted on the same DATA_DIR, the service made a new key: %v", made)
	}
	if after, err := os.ReadFile(file); err != nil || string(after) != string(pem) {
		t.Errorf("signing key file changed across the restart (error %v)", err)
	}
	rsp, err := again.users.ValidateToken(callContext(t), &userpb.Token{Token: before.GetToken()})
	if err != nil {
		t.Fatalf("ValidateToken of a token from before the restart: %v", err)
	}
	if rsp.GetUserId() != before.GetUserId() {
		t.Errorf("ValidateToken: user %q, want %q", rsp.GetUserId(), before.GetUserId())
	}
	if h, _, _ := decodeToken(t, again.login(t, ann).GetToken()); h.Kid != kid {
		t.Errorf("token after the restart signed by kid %s, want %s", h.Kid, kid)
	}
}

// TestUserRegistryKeys reads the user service's registry entry as the other
// services will: it carries the public key of the tokens' kid, with which
// a token is verified without calling the service.
func TestUserRegistryKeys(t *testing.T) {
	requireE2E(t)
	u := startUser(t, t.TempDir())
	ann := newUser("ann")
	id := u.create(t, ann).GetId()
	token := u.login(t, ann).GetToken()
	header, claims, _ := decodeToken(t, token)

	reg := registryOf(t, u.env)
	published := u.publishedKeys(t)
	keys, err := auth.ParsePublicKeys(published)
	if err != nil {
		t.Fatalf("metadata %s %q: %v", auth.MetadataKey, published, err)
	}
	if len(keys) != 1 || keys[0].ID != header.Kid || keys[0].ID != u.signingKey(t).ID {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		t.Fatalf("published keys %v, want the one of the token's kid %s", ids, header.Kid)
	}

	set, err := auth.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	fromRegistry, err := auth.NewRegistryKeys(reg, userpb.ServiceName, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, source := range map[string]auth.KeySource{"published keys": set, "registry keys": fromRegistry} {
		t.Run(name, func(t *testing.T) {
			v, err := auth.NewVerifier(source, userpb.ServiceName, claims.Aud[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(callContext(t), token)
			if err != nil {
				t.Fatalf("verify the service's token with its published keys: %v", err)
			}
			if got.Subject != id || got.KeyID != header.Kid {
				t.Errorf("claims: subject %s, kid %s; want %s, %s", got.Subject, got.KeyID, id, header.Kid)
			}
		})
	}
}
