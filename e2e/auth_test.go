package e2e

import (
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/rpcerr"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// loginHint is what the CLI's line says to run when a call is refused for
// want of a valid token.
const loginHint = progCLI + " login --email"

// userJSON is a user as `--json user create` prints it.
type userJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Company string `json:"company"`
	Role    string `json:"role"`
}

// loginJSON is what `--json login` prints: who signed in, until when, and
// where the token is stored.
type loginJSON struct {
	UserID      string `json:"user_id"`
	Email       string `json:"email"`
	Role        string `json:"role"`
	ExpiresAt   string `json:"expires_at"`
	ExpiresUnix int64  `json:"expires_unix"`
	TokenFile   string `json:"token_file"`
}

// wantNothingBooked fails t unless no consignment is stored (an operator
// lists none) and the room left on each vessel is still roomsBefore.
func (st *stack) wantNothingBooked(t *testing.T, roomsBefore map[string]room) {
	t.Helper()
	if got := st.rpc(t).listAll(t); len(got) != 0 {
		t.Errorf("an operator lists %d consignments, want none: %v", len(got), got)
	}
	if got := st.rooms(t); !maps.Equal(got, roomsBefore) {
		t.Errorf("room left: got %+v, want %+v (unchanged)", got, roomsBefore)
	}
}

// TestCreateWithoutToken creates without a valid token: the CLI, with no
// SHIPPY_TOKEN and no stored token, exits 7 with a line that says how to
// log in; over go-micro, a call with no token and one with a malformed
// token are answered 401 by the consignment service. Nothing is stored and
// no room is taken.
func TestCreateWithoutToken(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	c := st.rpc(t)
	roomsBefore := st.rooms(t)

	t.Run("CLI not signed in", func(t *testing.T) {
		file := writeFile(t, st.dir, "anonymous.json", newConsignment("e2e-anonymous-cli", 2, 500).input())
		// An empty config directory of its own: no token stored.
		r := st.cliWith(t, []string{envToken + "=", envConfigHome + "=" + t.TempDir()}, "", "create", file)
		wantFailure(t, r, exitAuth, "not signed in", loginHint)
	})
	for _, tt := range []struct{ name, token string }{
		{"no token", ""},
		{"malformed token", "not.a.token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.as(tt.token, "").create(newRequest("e2e-anonymous-rpc", 2, 500))
			wantRefusedBy(t, err, consignmentpb.ServiceName, rpcerr.Unauthenticated)
		})
	}
	st.wantNothingBooked(t, roomsBefore)
}

// TestLoginThenCreate signs up and logs in through the CLI, the password on
// standard input, then creates with neither --token nor SHIPPY_TOKEN: the
// CLI sends the token login stored in its config directory, and the
// consignment is booked as the new user's, who lists it.
func TestLoginThenCreate(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	home := t.TempDir()
	env := []string{envToken + "=", envConfigHome + "=" + home}
	const email, password = "grace@example.com", "a password for e2e"

	r := st.cliWith(t, env, password+"\n", "--json", "user", "create", "--name", "Grace", "--email", email, "--company", "Navy")
	user := decodeLine[userJSON](t, jsonLines(t, r, 1)[0])
	if want := (userJSON{ID: user.ID, Name: "Grace", Email: email, Company: "Navy", Role: string(auth.RoleCustomer)}); user.ID == "" ||
		user.ID == st.userID || user != want {
		t.Fatalf("user create: got %+v, want %+v with an id of its own", user, want)
	}

	r = st.cliWith(t, env, password+"\n", "--json", "login", "--email", email)
	login := decodeLine[loginJSON](t, jsonLines(t, r, 1)[0])
	if tokenFile := filepath.Join(home, "shippy", "token"); login.UserID != user.ID || login.TokenFile != tokenFile {
		t.Fatalf("login: got user %q, token file %q; want %q, %q", login.UserID, login.TokenFile, user.ID, tokenFile)
	}

	in := newConsignment("", 2, 500)
	file := writeFile(t, st.dir, "grace.json", in.input())
	created := decodeLine[consignmentJSON](t, jsonLines(t, st.cliWith(t, env, "", "--json", "create", file), 1)[0])
	want := in
	want.ID, want.VesselID, want.OwnerID = created.ID, defaultVessel, user.ID
	if created.ID == "" || !reflect.DeepEqual(created, want) {
		t.Errorf("create with the stored token:\n got %+v\nwant %+v (with an id, owned by %s)", created, want, user.ID)
	}
	listed := decodeLine[[]consignmentJSON](t, jsonLines(t, st.cliWith(t, env, "", "--json", "list"), 1)[0])
	if !reflect.DeepEqual(listed, []consignmentJSON{created}) {
		t.Errorf("list with the stored token: got %+v, want only %+v", listed, created)
	}
}

// TestOtherUsersConsignments books for two customers: each lists only their
// own; one's cancel of the other's consignment is not found, through the
// CLI (exit 3) and over go-micro (404, answered as for an id nobody has),
// and changes nothing; an operator lists both.
func TestOtherUsersConsignments(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	annID, annToken := st.signUp(t, "ann")
	bobID, bobToken := st.signUp(t, "bob")
	ann := st.createAs(t, annToken, writeFile(t, st.dir, "ann.json", newConsignment("", 2, 500).input()))
	bob := st.createAs(t, bobToken, writeFile(t, st.dir, "bob.json", newConsignment("", 1, 100).input()))
	if ann.OwnerID != annID || bob.OwnerID != bobID {
		t.Fatalf("owners: got %q and %q, want %q and %q", ann.OwnerID, bob.OwnerID, annID, bobID)
	}

	t.Run("each lists their own", func(t *testing.T) {
		for _, tt := range []struct {
			name, token string
			want        consignmentJSON
		}{{"ann", annToken, ann}, {"bob", bobToken, bob}} {
			if got := st.listAs(t, tt.token); !reflect.DeepEqual(got, []consignmentJSON{tt.want}) {
				t.Errorf("%s lists %v, want only %s", tt.name, ids(got), tt.want.ID)
			}
		}
	})

	t.Run("cancel of another's is not found", func(t *testing.T) {
		roomsBefore := st.rooms(t)
		wantFailure(t, st.cliAs(t, bobToken, "cancel", ann.ID), exitBadInput, "no consignment", ann.ID)
		c := st.rpc(t).as(bobToken, bobID)
		_, err := c.cancel(ann.ID)
		detail := wantRefusedBy(t, err, consignmentpb.ServiceName, rpcerr.NotFound)
		_, err = c.cancel("e2e-no-such-consignment")
		if unknown := wantRefusedBy(t, err, consignmentpb.ServiceName, rpcerr.NotFound); unknown != detail {
			t.Errorf("cancel of another's consignment answers %q, of an unknown id %q: want them alike", detail, unknown)
		}
		if got := st.listAs(t, annToken); !reflect.DeepEqual(got, []consignmentJSON{ann}) {
			t.Errorf("ann lists %+v after bob's cancel, want %+v", got, ann)
		}
		if got := st.rooms(t); !maps.Equal(got, roomsBefore) {
			t.Errorf("room left: got %+v, want %+v (unchanged)", got, roomsBefore)
		}
	})

	t.Run("an operator lists both", func(t *testing.T) {
		got := st.listAs(t, st.operatorToken(t))
		if want := []consignmentJSON{ann, bob}; !reflect.DeepEqual(got, want) {
			t.Errorf("the operator lists %+v, want %+v", got, want)
		}
	})
}

// TestExpiredToken calls with a customer's token signed by the user
// service's key whose expiry is further back than auth.Leeway: over
// go-micro the consignment service answers 401 "token expired", and the
// CLI exits 7 with a line that says how to log in; nothing is booked. A
// token signed alike that has not expired is accepted.
func TestExpiredToken(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	const ttl = time.Minute
	signed := func(at time.Time) string {
		return signToken(t, st.user.signingKey(t), userpb.ServiceName, auth.RoleCustomer, at, ttl, st.userID, userpb.TokenAudience)
	}
	expired := signed(time.Now().Add(-ttl - auth.Leeway - time.Minute))
	c := st.rpc(t)
	c.as(signed(time.Now()), st.userID).listConsignments(t) // fails t if refused
	roomsBefore := st.rooms(t)

	_, err := c.as(expired, st.userID).create(newRequest("e2e-expired", 1, 10))
	if detail := wantRefusedBy(t, err, consignmentpb.ServiceName, rpcerr.Unauthenticated); detail != "unauthenticated: token expired" {
		t.Errorf("detail %q, want %q", detail, "unauthenticated: token expired")
	}
	file := writeFile(t, st.dir, "expired.json", newConsignment("e2e-expired-cli", 1, 10).input())
	wantFailure(t, st.cliAs(t, expired, "create", file), exitAuth, loginHint)
	st.wantNothingBooked(t, roomsBefore)
}

// TestVesselBookNeedsConsignmentService calls the vessel service's Book
// directly, as only the consignment service may: with no token it answers
// 401; with a customer's or an operator's, 403; with a service token that
// names the consignment service as its issuer but is signed by another key,
// 401. None takes room. The same request with a token signed by the
// consignment service's own key books, and Release gives the room back:
// the refusals were for the credentials alone.
func TestVesselBookNeedsConsignmentService(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	c := st.rpc(t)
	other, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	serviceToken := func(key auth.PrivateKey) string {
		return signToken(t, key, consignmentpb.ServiceName, auth.RoleService, time.Now(), time.Minute,
			consignmentpb.ServiceName, vesselpb.ServiceName)
	}
	req := &vesselpb.BookRequest{ConsignmentId: "e2e-direct-book", Containers: 2, Weight: 300}
	book := func(token string) (*vesselpb.BookResponse, error) {
		ctx, cancel := c.as(token, "").ctx()
		defer cancel()
		return c.vessels.Book(ctx, req)
	}
	roomsBefore := st.rooms(t)

	for _, tt := range []struct {
		name, token string
		want        rpcerr.Reason
	}{
		{"no token", "", rpcerr.Unauthenticated},
		{"customer", st.token, rpcerr.Forbidden},
		{"operator", st.operatorToken(t), rpcerr.Forbidden},
		{"consignment service's name, another key", serviceToken(other), rpcerr.Unauthenticated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := book(tt.token)
			wantRefusedBy(t, err, vesselpb.ServiceName, tt.want)
		})
	}
	if got := st.rooms(t); !maps.Equal(got, roomsBefore) {
		t.Errorf("room left after the refused Books: got %+v, want %+v (unchanged)", got, roomsBefore)
	}

	t.Run("consignment service's key", func(t *testing.T) {
		own := serviceToken(st.consignment.signingKey(t))
		rsp, err := book(own)
		if err != nil {
			t.Fatalf("Book with the consignment service's token: %v", err)
		}
		vesselID := rsp.GetBooking().GetVesselId()
		was := roomsBefore[vesselID]
		if got, want := st.rooms(t)[vesselID], (room{was.containers - 2, was.weight - 300}); got != want {
			t.Errorf("room left on %s after the Book: got %+v, want %+v", vesselID, got, want)
		}
		ctx, cancel := c.as(own, "").ctx()
		defer cancel()
		if rsp, err := c.vessels.Release(ctx, &vesselpb.ReleaseRequest{ConsignmentId: req.GetConsignmentId()}); err != nil || !rsp.GetReleased() {
			t.Fatalf("Release with the consignment service's token: %v, %v; want released", rsp, err)
		}
		if got := st.rooms(t); !maps.Equal(got, roomsBefore) {
			t.Errorf("room left after the Release: got %+v, want %+v", got, roomsBefore)
		}
	})
}

// TestCancel books a consignment and cancels it through the CLI: one line
// names it, its room is back, nobody lists it any more, and a repeat
// answers the same; with --json the answer is the consignment as booked.
func TestCancel(t *testing.T) {
	requireE2E(t)
	st := startStack(t, "")
	roomsBefore := st.rooms(t)
	in := newConsignment("e2e-cancel-1", 2, 500)
	writeFile(t, st.dir, "cancel.json", in.input())
	booked := st.create(t, "cancel.json")
	if want := st.booked(in, defaultVessel); !reflect.DeepEqual(booked, want) {
		t.Fatalf("create:\n got %+v\nwant %+v", booked, want)
	}
	was := roomsBefore[defaultVessel]
	if got, want := st.rooms(t)[defaultVessel], (room{was.containers - 2, was.weight - 500}); got != want {
		t.Fatalf("room left on %s after the create: got %+v, want %+v", defaultVessel, got, want)
	}

	first := st.cli(t, "cancel", booked.ID)
	if first.code != exitOK || first.stderr != "" || len(lines(t, first.stdout)) != 1 || !strings.Contains(first.stdout, booked.ID) {
		t.Fatalf("cancel: want exit 0 and one line naming %s, got %v", booked.ID, first)
	}
	if got := st.list(t); len(got) != 0 {
		t.Errorf("the customer lists %v after the cancel, want none", ids(got))
	}
	st.wantNothingBooked(t, roomsBefore)

	t.Run("repeat", func(t *testing.T) {
		if again := st.cli(t, "cancel", booked.ID); again.code != exitOK || again.stdout != first.stdout || again.stderr != "" {
			t.Errorf("repeated cancel: want exit 0 and %q, got %v", first.stdout, again)
		}
		got := decodeLine[consignmentJSON](t, jsonLines(t, st.cli(t, "--json", "cancel", booked.ID), 1)[0])
		if !reflect.DeepEqual(got, booked) {
			t.Errorf("--json cancel:\n got %+v\nwant %+v (as booked)", got, booked)
		}
		st.wantNothingBooked(t, roomsBefore)
	})
}
