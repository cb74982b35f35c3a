package e2e

import (
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform"
	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/events"
	"github.com/shippy-suite/shippy/platform/failpoint"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/testenv/natstest"
	"github.com/shippy-suite/shippy/testenv/smtpsink"
)

// Settings and names of the notification service the tests use.
const (
	// notificationName is the name the notification service registers
	// under.
	notificationName = "shippy.service.notification"
	// envSMTPAddress is the notification service's mail server.
	envSMTPAddress = "SMTP_ADDRESS"
)

// Timing of the tests of events.
const (
	// mailWait bounds how long the mails of the events take to arrive: a
	// booking handled before its owner's user.created is delivered again
	// after 1 s, then 10 s.
	mailWait = 60 * time.Second
	// mailGrace is how long no further mail may arrive once the expected
	// ones have.
	mailGrace = 5 * time.Second
)

// mailStack is a stack whose services publish their events on a broker of
// the test, and the notification service that mails them to a sink of
// the test.
type mailStack struct {
	*stack
	broker       *natstest.Server
	sink         *smtpsink.Server
	notification *service
}

// startMailStack starts a NATS server with JetStream, an SMTP sink, the
// notification service on both, and then the stack (startStack, with fleet
// and env) with NATS_URL for every service. The notification service is
// up before the stack signs up its customer, so it is there when the
// customer's user.created is published (the stream keeps it either way).
// Everything is stopped when t ends.
func startMailStack(t *testing.T, fleet string, env ...string) *mailStack {
	t.Helper()
	ms := &mailStack{broker: natstest.Start(t), sink: smtpsink.Start(t, smtpsink.Options{})}
	dataDir := filepath.Join(t.TempDir(), "notification")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ms.notification = startService(t, t, progNotification, notificationName, programEnv(
		"DATA_DIR="+dataDir,
		platform.EnvShutdownTimeout+"="+shutdownTimeout.String(),
		platform.EnvLogLevel+"=info",
		events.EnvURL+"="+ms.broker.URL(),
		envSMTPAddress+"="+ms.sink.Addr(),
	))
	ms.stack = startStack(t, fleet, append([]string{events.EnvURL + "=" + ms.broker.URL()}, env...)...)
	return ms
}

// mail is a message of the sink, decoded: its envelope recipients, its
// subject and its body in plain text.
type mail struct {
	to            []string
	subject, body string
}

// String shows m in a failure message.
func (m mail) String() string {
	return fmt.Sprintf("to %v, subject %q, body:\n%s", m.to, m.subject, m.body)
}

// decodeMails parses msgs' headers and decodes their quoted-printable
// bodies, or fails t.
func decodeMails(t *testing.T, msgs []smtpsink.Message) []mail {
	t.Helper()
	var mails []mail
	for i, msg := range msgs {
		m, err := msg.Parse()
		if err != nil {
			t.Fatalf("mail %d does not parse: %v\n%s", i, err, msg.Data)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatalf("mail %d: body is not quoted-printable: %v\n%s", i, err, msg.Data)
		}
		mails = append(mails, mail{
			to:      msg.To,
			subject: m.Header.Get("Subject"),
			body:    strings.ReplaceAll(string(body), "\r\n", "\n"),
		})
	}
	return mails
}

// waitMails waits up to mailWait for n mails, then mailGrace more for any
// further one, and returns them all decoded: t fails when fewer than n
// arrive, and the caller sees any beyond n.
func (ms *mailStack) waitMails(t *testing.T, n int) []mail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mailWait)
	defer cancel()
	msgs, err := ms.sink.Wait(ctx, n)
	if err != nil {
		t.Fatalf("mails: %v; received: %v", err, decodeMails(t, msgs))
	}
	grace, cancel := context.WithTimeout(context.Background(), mailGrace)
	defer cancel()
	msgs, _ = ms.sink.Wait(grace, n+1) // returns at the deadline unless a mail too many arrives
	return decodeMails(t, msgs)
}

// customerEmail is the email of the stack's customer (signUp "stack").
var customerEmail = newUser("stack").GetEmail()

// isWelcome reports whether m is the welcome mail of the stack's customer.
func isWelcome(m mail) bool {
	return slices.Equal(m.to, []string{customerEmail}) && m.subject == "Welcome to Shippy"
}

// wantConfirmation fails t unless m is the booking confirmation of c, to
// the stack's customer: its subject names the consignment and the vessel,
// its body the consignment, the vessel, the containers and the weight.
func wantConfirmation(t *testing.T, m mail, c *consignmentpb.Consignment) {
	t.Helper()
	if !slices.Equal(m.to, []string{customerEmail}) {
		t.Errorf("confirmation of %s sent to %v, want [%s]", c.GetId(), m.to, customerEmail)
	}
	if want := "Consignment " + c.GetId() + " booked on vessel " + c.GetVesselId(); m.subject != want {
		t.Errorf("confirmation subject %q, want %q", m.subject, want)
	}
	for _, want := range []string{
		"Consignment: " + c.GetId(),
		"Vessel:      " + c.GetVesselId(),
		fmt.Sprintf("Containers:  %d", len(c.GetContainers())),
		fmt.Sprintf("Weight:      %d kg", c.GetWeight()),
	} {
		if !strings.Contains(m.body, want+"\n") {
			t.Errorf("confirmation of %s does not say %q:\n%s", c.GetId(), want, m.body)
		}
	}
}

// wantMails fails t unless mails are exactly the stack's customer's welcome
// and the confirmation of c, one each, in either order.
func wantMails(t *testing.T, mails []mail, c *consignmentpb.Consignment) {
	t.Helper()
	if len(mails) != 2 {
		t.Fatalf("got %d mails, want a welcome and a confirmation:\n%v", len(mails), mails)
	}
	i := slices.IndexFunc(mails, isWelcome)
	if i < 0 {
		t.Fatalf("no welcome to %s among the mails:\n%v", customerEmail, mails)
	}
	wantConfirmation(t, mails[1-i], c)
}

// TestBookingMail registers a customer and books a consignment on a stack
// that publishes its events, and checks that the notification service
// mails the customer exactly one welcome and one confirmation naming the
// consignment, its vessel, its containers and its weight, and nothing
// more.
func TestBookingMail(t *testing.T) {
	requireE2E(t)
	ms := startMailStack(t, "")
	rsp, err := ms.rpc(t).create(newRequest("mail-1", 3, 4500))
	if err != nil {
		t.Fatalf("CreateConsignment: %v", err)
	}
	booked := rsp.GetConsignment()
	if booked.GetId() == "" || booked.GetVesselId() == "" {
		t.Fatalf("CreateConsignment answered %v, want a consignment with its id and vessel", booked)
	}
	wantMails(t, ms.waitMails(t, 2), booked)
}

// TestEventSurvivesPublisherKill kills the consignment service right after
// a create has stored its consignment (failpoint.AfterStore), before it
// answered, and starts it again on the same data: the event was stored
// with the booking, so the relay publishes it after the restart, and the
// customer gets exactly one confirmation of that consignment.
func TestEventSurvivesPublisherKill(t *testing.T) {
	requireE2E(t)
	ms := startMailStack(t, "")
	// The customer's welcome first: the notification service knows their
	// email before the booking.
	ctx, cancel := context.WithTimeout(context.Background(), mailWait)
	defer cancel()
	if _, err := ms.sink.Wait(ctx, 1); err != nil {
		t.Fatalf("welcome: %v", err)
	}

	base := ms.consignment
	base.stop(t)
	armed := startService(t, ms.owner, base.prog, base.name,
		append(slices.Clip(base.env), failpoint.EnvFailpoint+"="+failpoint.AfterStore))
	ms.consignment = armed
	c := ms.rpc(t)
	done := make(chan error, 1)
	go func() {
		// The call fails or times out: its answer dies with the process.
		ctx, cancel := context.WithTimeout(context.Background(), killWait+startTimeout)
		defer cancel()
		_, err := c.consignments.CreateConsignment(auth.WithToken(ctx, c.token), newRequest("mail-kill", 2, 1200))
		done <- err
	}()
	armed.waitKilled(t, rpcTimeout)
	// The call ends before the restart, so that no retry of it reaches
	// the new instance.
	t.Logf("CreateConsignment of the killed service: %v", <-done)
	ms.consignment = base
	ms.restartConsignment(t)

	var booked *consignmentpb.Consignment
	for _, listed := range ms.rpc(t).listAll(t) {
		if listed.GetId() == "mail-kill" {
			booked = listed
		}
	}
	if booked == nil {
		t.Fatalf("consignment mail-kill is not listed after the restart: it was stored before the kill")
	}
	wantMails(t, ms.waitMails(t, 2), booked)
}
