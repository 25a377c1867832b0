package jetstream

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	js "github.com/nats-io/nats.go/jetstream"
)

// Defaults of Config.
const (
	// DefaultStream is the name of the stream records go to.
	DefaultStream = "SICOLLAB_RECORDS"
	// DefaultSubjectPrefix begins every record's subject.
	DefaultSubjectPrefix = "sicollab.records"
	// DefaultReplicas is the replica count of a stream the Sink creates:
	// one, for a lone server; a cluster wants 3.
	DefaultReplicas = 1
	// DefaultDuplicates is the stream's duplicate window: a record
	// published again within it is stored once.
	DefaultDuplicates = 2 * time.Minute
	// DefaultMaxInFlight bounds the records awaiting the stream's
	// acknowledgement at once, over all callers of Put.
	DefaultMaxInFlight = 512
	// DefaultAckTimeout is how long one publish waits for its
	// acknowledgement before it counts as failed.
	DefaultAckTimeout = 5 * time.Second
	// DefaultMaxAttempts is how many times Put publishes a record the
	// stream did not acknowledge before it gives up.
	DefaultMaxAttempts = 5
	// DefaultRetryWait is the first wait before publishing again; it
	// doubles with each attempt.
	DefaultRetryWait = 250 * time.Millisecond
)

// Config configures a Sink. Zero values take the defaults named on each
// field; Validate says what is wrong with the rest.
type Config struct {
	// Stream is the stream's name; "": DefaultStream.
	Stream string
	// SubjectPrefix begins every subject; "": DefaultSubjectPrefix. It
	// must be a literal subject (no wildcards, no empty token).
	SubjectPrefix string
	// Replicas is the replica count of the stream when New creates it;
	// 0: DefaultReplicas. 3 in a cluster of three or more, so that the
	// loss of one server loses nothing and stops nothing.
	Replicas int
	// Duplicates is the stream's duplicate window; 0: DefaultDuplicates.
	// It must cover the longest time a sender may take to send a batch
	// again (its retries), for Put to stay idempotent.
	Duplicates time.Duration
	// MaxAge is how long the stream keeps a record; 0 keeps it until the
	// stream's other limits remove it (retention is the records' own
	// retain_until, enforced downstream).
	MaxAge time.Duration
	// MaxBytes bounds the stream's size in bytes; 0: no bound. When full
	// the stream refuses new records (it never drops old ones), and Put
	// fails.
	MaxBytes int64
	// CreateStream makes New create the stream, or update it to this
	// Config, instead of requiring that it exist with the subjects
	// wanted.
	CreateStream bool
	// MaxInFlight bounds the records awaiting acknowledgement at once;
	// 0: DefaultMaxInFlight.
	MaxInFlight int
	// AckTimeout bounds the wait for one acknowledgement; 0:
	// DefaultAckTimeout.
	AckTimeout time.Duration
	// MaxAttempts bounds the publishes of one record within one Put; 0:
	// DefaultMaxAttempts.
	MaxAttempts int
	// RetryWait is the first wait between attempts, doubled each time;
	// 0: DefaultRetryWait.
	RetryWait time.Duration
	// Logger gets a warning per failed attempt. Nil: silent.
	Logger *slog.Logger
}

// withDefaults returns c with every zero field that has a default set.
func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryWait == 0 {
		c.RetryWait = DefaultRetryWait
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every problem of c after defaults, each naming the
// field and the value found, joined with errors.Join.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("jetstream: Config."+format, a...))
	}
	if strings.ContainsAny(c.Stream, ". *>\t\r\n/\\") {
		bad("Stream is %q; a stream name has no '.', '*', '>', '/', '\\' or white space", c.Stream)
	}
	if !literalSubject(c.SubjectPrefix) {
		bad("SubjectPrefix is %q; it must be dot-separated non-empty tokens without '*', '>' or white space", c.SubjectPrefix)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		bad("Replicas is %d; JetStream takes 1 to 5 (3 in a cluster)", c.Replicas)
	}
	if c.Duplicates < 0 {
		bad("Duplicates is %s; it must not be negative", c.Duplicates)
	}
	if c.MaxAge < 0 {
		bad("MaxAge is %s; it must not be negative (0 keeps records)", c.MaxAge)
	}
	if c.MaxAge > 0 && c.Duplicates > c.MaxAge {
		bad("Duplicates is %s, longer than MaxAge %s; the window cannot outlast the records", c.Duplicates, c.MaxAge)
	}
	if c.MaxBytes < 0 {
		bad("MaxBytes is %d; it must not be negative (0: no bound)", c.MaxBytes)
	}
	if c.MaxInFlight < 1 {
		bad("MaxInFlight is %d; it must be positive", c.MaxInFlight)
	}
	if c.AckTimeout < 0 {
		bad("AckTimeout is %s; it must be positive", c.AckTimeout)
	}
	if c.MaxAttempts < 1 {
		bad("MaxAttempts is %d; it must be positive", c.MaxAttempts)
	}
	if c.RetryWait < 0 {
		bad("RetryWait is %s; it must not be negative", c.RetryWait)
	}
	return errors.Join(errs...)
}

// literalSubject reports whether s is a subject without wildcards.
func literalSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return false
		}
	}
	return true
}

// StreamConfig returns the configuration of the stream c describes: file
// storage, the subjects under SubjectPrefix, limits retention, and the
// replicas, duplicate window and limits of c.
func (c Config) StreamConfig() js.StreamConfig {
	c = c.withDefaults()
	return js.StreamConfig{
		Name:        c.Stream,
		Description: "sicollab: records accepted by hubs",
		Subjects:    []string{c.SubjectPrefix + ".>"},
		Retention:   js.LimitsPolicy,
		Storage:     js.FileStorage,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
		MaxAge:      c.MaxAge,
		MaxBytes:    orUnlimited(c.MaxBytes),
		Discard:     js.DiscardNew,
	}
}

// orUnlimited maps 0 to JetStream's -1 (no limit).
func orUnlimited(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}
