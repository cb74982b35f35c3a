package events

import (
	"fmt"
	"strings"
)

// Headers an event carries besides its metadata. A publisher's metadata
// may not use the prefixes "Nats-" (the broker's, except the event id,
// MetadataID) or "Shippy-" (these).
const (
	// MetadataID is the metadata key of the event id: JetStream's message
	// id header, by which the broker deduplicates. WithID sets it.
	MetadataID = "Nats-Msg-Id"
	// HeaderTime is when the event happened (events.WithTimestamp; the
	// time of the publish by default), RFC 3339 with nanoseconds.
	HeaderTime = "Shippy-Time"
	// MetadataDeliveries is the metadata key of a consumed event's
	// delivery count: "1" the first time a group's consumer delivers it.
	MetadataDeliveries = "Shippy-Deliveries"
)

// Headers of a parked event, besides the original's metadata and HeaderTime.
const (
	// HeaderDeadSubject is the subject the event was published on.
	HeaderDeadSubject = "Shippy-Dead-Subject"
	// HeaderDeadEventID is the event's id (its Nats-Msg-Id in the dead
	// stream is the group's and the id, so that each group parks its own).
	HeaderDeadEventID = "Shippy-Dead-Event-Id"
	// HeaderDeadGroup is the consumer group that parked it.
	HeaderDeadGroup = "Shippy-Dead-Group"
	// HeaderDeadDeliveries is how many times the group's consumer had
	// delivered it.
	HeaderDeadDeliveries = "Shippy-Dead-Deliveries"
	// HeaderDeadReason says why it was parked.
	HeaderDeadReason = "Shippy-Dead-Reason"
	// HeaderDeadSequence is its sequence number in StreamName.
	HeaderDeadSequence = "Shippy-Dead-Sequence"
)

// maxReasonBytes bounds a park reason in a header.
const maxReasonBytes = 1024

// DeadLetterSubject is the subject a consumer parks an event of topic on:
// "dead.shippy.user.created" for "shippy.user.created".
func DeadLetterSubject(topic string) string {
	return DeadLetterPrefix + topic
}

// checkTopic accepts a topic below SubjectPrefix whose tokens are letters,
// digits and dashes: no wildcards, as Publish needs a subject and a
// consumer's name is made of its topic.
func checkTopic(topic string) error {
	if !strings.HasPrefix(topic, SubjectPrefix) {
		return fmt.Errorf("%w: topic %q is not below %q", ErrInvalid, topic, SubjectPrefix)
	}
	for _, token := range strings.Split(topic, ".") {
		if !isName(token) {
			return fmt.Errorf("%w: topic %q: each dot-separated part must be letters, digits or dashes", ErrInvalid, topic)
		}
	}
	return nil
}

// checkGroup accepts a group of letters, digits and dashes.
func checkGroup(group string) error {
	if !isName(group) {
		return fmt.Errorf("%w: group %q must be letters, digits or dashes", ErrInvalid, group)
	}
	return nil
}

// isName reports whether s is a non-empty run of ASCII letters, digits and
// dashes.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// consumerName is the durable consumer of group on topic:
// "notification_shippy_user_created". Groups and topics hold no "_", so two
// pairs never share a name.
func consumerName(group, topic string) string {
	return group + "_" + strings.ReplaceAll(topic, ".", "_")
}

// checkMetadata accepts metadata whose keys are header names a publisher
// may set and whose values fit in a header.
func checkMetadata(md map[string]string) error {
	for k, v := range md {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("%w: metadata %q: value holds a line break", ErrInvalid, k)
		}
		if k == MetadataID {
			continue
		}
		if !isHeaderName(k) {
			return fmt.Errorf("%w: metadata key %q is not a header name", ErrInvalid, k)
		}
		if reserved(k) {
			return fmt.Errorf("%w: metadata key %q is reserved (Nats- and Shippy- prefixes)", ErrInvalid, k)
		}
	}
	return nil
}

// reserved reports whether a header name belongs to the broker or to this
// package.
func reserved(k string) bool {
	lower := strings.ToLower(k)
	return strings.HasPrefix(lower, "nats-") || strings.HasPrefix(lower, "shippy-")
}

// isHeaderName reports whether k is a non-empty run of printable ASCII
// other than space and colon.
func isHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// headerValue makes s fit in a header value: line breaks become spaces,
// and it is cut to maxReasonBytes.
func headerValue(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) > maxReasonBytes {
		s = strings.ToValidUTF8(s[:maxReasonBytes], "")
	}
	return s
}
