package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
)

// jsonConsignment is the JSON form of a consignment the CLI prints: the
// proto's snake_case field names, the ones the input file uses, and every
// field always present, so that scripts can rely on the schema.
type jsonConsignment struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Weight      int32           `json:"weight"`
	Containers  []jsonContainer `json:"containers"`
	VesselID    string          `json:"vessel_id"`
	OwnerID     string          `json:"owner_id"`
}

// jsonContainer is the JSON form of a container, in the input file and in
// the output.
type jsonContainer struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Origin     string `json:"origin"`
	UserID     string `json:"user_id"`
}

func toJSON(c *consignmentpb.Consignment) jsonConsignment {
	out := jsonConsignment{
		ID:          c.GetId(),
		Description: c.GetDescription(),
		Weight:      c.GetWeight(),
		Containers:  make([]jsonContainer, 0, len(c.GetContainers())),
		VesselID:    c.GetVesselId(),
		OwnerID:     c.GetOwnerId(),
	}
	for _, ct := range c.GetContainers() {
		out.Containers = append(out.Containers, jsonContainer{
			ID:         ct.GetId(),
			CustomerID: ct.GetCustomerId(),
			Origin:     ct.GetOrigin(),
			UserID:     ct.GetUserId(),
		})
	}
	return out
}

// writeJSON writes v to w as JSON on one line.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// The sentences that printConsignment writes for a consignment a create
// or a cancel returned; their verbs are its id, its containers (counted),
// its weight and its vessel.
const (
	createdFormat   = "Created consignment %s: %s, %d kg, booked on vessel %s\n"
	cancelledFormat = "Cancelled consignment %s: %s, %d kg, released from vessel %s\n"
)

// printConsignment writes the consignment a create or a cancel returned:
// one JSON object, or the sentence format (createdFormat, cancelledFormat).
func printConsignment(w io.Writer, asJSON bool, format string, c *consignmentpb.Consignment) error {
	if asJSON {
		return writeJSON(w, toJSON(c))
	}
	_, err := fmt.Fprintf(w, format, c.GetId(), countContainers(len(c.GetContainers())), c.GetWeight(), c.GetVesselId())
	return err
}

// printList writes consignments: a JSON array on one line, or a count and a
// table.
func printList(w io.Writer, asJSON bool, cs []*consignmentpb.Consignment) error {
	if asJSON {
		out := make([]jsonConsignment, 0, len(cs))
		for _, c := range cs {
			out = append(out, toJSON(c))
		}
		return writeJSON(w, out)
	}
	if _, err := fmt.Fprintf(w, "Consignments (%d):\n", len(cs)); err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVESSEL\tCONTAINERS\tWEIGHT (KG)\tDESCRIPTION")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", cell(c.GetId()), cell(c.GetVesselId()),
			len(c.GetContainers()), c.GetWeight(), cell(shorten(c.GetDescription(), 60)))
	}
	return tw.Flush() // reports the first write error
}

func countContainers(n int) string {
	if n == 1 {
		return "1 container"
	}
	return fmt.Sprintf("%d containers", n)
}

// cell makes s safe for one cell of the table: control characters, tabs and
// line breaks included, become spaces.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// shorten cuts s to at most n characters, marking a cut with "...".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// jsonUser is the JSON form of a user the CLI prints, every field always
// present.
type jsonUser struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Company string `json:"company"`
	Role    string `json:"role"`
}

// printUser writes the user a user create returned: one JSON object, or one
// sentence.
func printUser(w io.Writer, asJSON bool, u *userpb.User) error {
	if asJSON {
		return writeJSON(w, jsonUser{ID: u.GetId(), Name: u.GetName(), Email: u.GetEmail(), Company: u.GetCompany(), Role: u.GetRole()})
	}
	company := ""
	if u.GetCompany() != "" {
		company = ", " + cell(u.GetCompany())
	}
	_, err := fmt.Fprintf(w, "Created user %s: %s <%s>%s, role %s\n",
		cell(u.GetId()), cell(u.GetName()), cell(u.GetEmail()), company, cell(u.GetRole()))
	return err
}

// jsonLogin is the JSON form of a sign-in: who, until when, and where the
// token is stored. The token itself is never printed.
type jsonLogin struct {
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	ExpiresAt string `json:"expires_at"` // RFC 3339, UTC; "" when the service did not say
	// ExpiresUnix is the token's expiry in seconds since the epoch; 0 when
	// unknown.
	ExpiresUnix int64  `json:"expires_unix"`
	TokenFile   string `json:"token_file"`
}

// printLogin writes who signed in as email with tok, and when the token,
// stored in file, expires, as of now.
func printLogin(w io.Writer, asJSON bool, now time.Time, email string, tok *userpb.Token, file string) error {
	expires := ""
	if tok.GetExpiresUnix() > 0 {
		expires = time.Unix(tok.GetExpiresUnix(), 0).UTC().Format(time.RFC3339)
	}
	if asJSON {
		return writeJSON(w, jsonLogin{UserID: tok.GetUserId(), Email: email, Role: tok.GetRole(),
			ExpiresAt: expires, ExpiresUnix: tok.GetExpiresUnix(), TokenFile: file})
	}
	who := cell(email)
	if id, role := tok.GetUserId(), tok.GetRole(); id != "" || role != "" {
		who += fmt.Sprintf(" (user %s, %s)", cell(id), cell(role))
	}
	until := "the token's expiry is unknown"
	if expires != "" {
		left := time.Unix(tok.GetExpiresUnix(), 0).Sub(now).Round(time.Second)
		until = fmt.Sprintf("the token expires at %s (in %s)", expires, left)
	}
	_, err := fmt.Fprintf(w, "Signed in as %s; %s; stored in %s\n", who, until, file)
	return err
}

// jsonLogout is the JSON form of a logout.
type jsonLogout struct {
	Removed   bool   `json:"removed"`
	TokenFile string `json:"token_file"`
}

// printLogout writes whether logout removed the token file.
func printLogout(w io.Writer, asJSON bool, removed bool, file string) error {
	if asJSON {
		return writeJSON(w, jsonLogout{Removed: removed, TokenFile: file})
	}
	var err error
	if removed {
		_, err = fmt.Fprintf(w, "Signed out: removed %s\n", file)
	} else {
		_, err = fmt.Fprintf(w, "Signed out: no token was stored in %s\n", file)
	}
	return err
}
