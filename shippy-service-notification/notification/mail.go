package notification

import (
	"fmt"
	"strings"
	"time"
)

// welcome is the welcome mail of e's user.
func welcome(e UserCreated) Mail {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", greeting(e.User))
	b.WriteString("welcome to Shippy. Your account is ready: sign in with this email address\n")
	b.WriteString("to book consignments. We will confirm each booking by mail.\n\n")
	b.WriteString("-- \nShippy\n")
	return Mail{ID: e.EventID, To: e.User, Subject: "Welcome to Shippy", Body: b.String()}
}

// confirmation is the mail to to that confirms the booking e.
func confirmation(e ConsignmentBooked, to Recipient) Mail {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", greeting(to))
	b.WriteString("your consignment is booked:\n\n")
	fmt.Fprintf(&b, "  Consignment: %s\n", e.ConsignmentID)
	fmt.Fprintf(&b, "  Vessel:      %s\n", e.VesselID)
	fmt.Fprintf(&b, "  Containers:  %d\n", e.Containers)
	fmt.Fprintf(&b, "  Weight:      %d kg\n", e.Weight)
	if !e.BookedAt.IsZero() {
		fmt.Fprintf(&b, "  Booked at:   %s\n", e.BookedAt.UTC().Format(time.RFC1123))
	}
	b.WriteString("\n-- \nShippy\n")
	return Mail{
		ID:      e.EventID,
		To:      to,
		Subject: "Consignment " + e.ConsignmentID + " booked on vessel " + e.VesselID,
		Body:    b.String(),
	}
}

// greeting is how a mail addresses r: by name, or by email without one.
func greeting(r Recipient) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Email
}
