package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
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

// printCreated writes the consignment a create returned: one JSON object,
// or one sentence.
func printCreated(w io.Writer, asJSON bool, c *consignmentpb.Consignment) error {
	if asJSON {
		return writeJSON(w, toJSON(c))
	}
	_, err := fmt.Fprintf(w, "Created consignment %s: %s, %d kg, booked on vessel %s\n",
		c.GetId(), countContainers(len(c.GetContainers())), c.GetWeight(), c.GetVesselId())
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
