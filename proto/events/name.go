package events

// The subjects (go-micro events topics) the events are published on, one
// per message. They lie below "shippy.", the subjects of the broker's event
// stream (platform/events), and a consumer parks an event it cannot handle
// on "dead." followed by the subject (platform/events.DeadLetterSubject).
const (
	// SubjectUserCreated carries UserCreated.
	SubjectUserCreated = "shippy.user.created"
	// SubjectConsignmentBooked carries ConsignmentBooked.
	SubjectConsignmentBooked = "shippy.consignment.booked"
)

// Version is the version of the events' meaning that this code publishes
// and understands. A consumer parks an event of any other version (Decode
// answers ErrUnknownVersion) rather than guess at it.
const Version uint32 = 1
