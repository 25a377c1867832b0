package jetstream

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
)

// Defaults of Config.
const (
	// DefaultStream is the stream hubs publish to (the default of
	// submit/jetstream).
	DefaultStream = "SICOLLAB_RECORDS"
	// DefaultConsumer is the durable consumer's name.
	DefaultConsumer = "sicollab-analysis"
	// DefaultAckWait is how long the stream waits for an acknowledgement
	// before it delivers a message again.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxAckPending bounds the messages delivered and not yet
	// acknowledged, over every collector on the consumer.
	DefaultMaxAckPending = 1024
	// DefaultBatch is how many messages one fetch asks for.
	DefaultBatch = 256
	// DefaultFetchWait bounds how long one fetch waits for messages; it
	// is also how late Collect notices a cancelled ctx while idle.
	DefaultFetchWait = time.Second
	// DefaultMaxMessageBytes bounds one message; larger ones are
	// malformed.
	DefaultMaxMessageBytes = 1 << 20
)

// Config configures a Collector. Zero values take the defaults named on
// each field; Validate says what is wrong with the rest.
type Config struct {
	// Stream is the stream to read; "": DefaultStream.
	Stream string
	// Consumer is the durable consumer's name; "": DefaultConsumer.
	// Collectors with the same name share the work.
	Consumer string
	// FilterSubjects narrows the consumer to some subjects, e.g.
	// "sicollab.records.finance.>"; none: every subject of the stream.
	// Used only when the consumer is created.
	FilterSubjects []string
	// CreateConsumer makes New create the durable consumer, or update it
	// to this Config; otherwise it must exist.
	CreateConsumer bool
	// AckWait is the consumer's ack wait; 0: DefaultAckWait.
	AckWait time.Duration
	// MaxAckPending is the consumer's bound on unacknowledged messages;
	// 0: DefaultMaxAckPending.
	MaxAckPending int
	// MaxDeliver bounds deliveries of one message; 0: no bound.
	MaxDeliver int
	// Batch is how many messages one fetch asks for; 0: DefaultBatch. It
	// must not exceed MaxAckPending.
	Batch int
	// FetchWait bounds one fetch; 0: DefaultFetchWait.
	FetchWait time.Duration
	// StopWhenIdle makes Collect return nil once a fetch finds nothing
	// and the consumer has nothing pending: the source is exhausted (a
	// batch run). Otherwise Collect runs until ctx ends.
	StopWhenIdle bool
	// MaxMessageBytes bounds a message's size; 0: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Validator, if set, validates every record as it arrives (the hub
	// validated it already; a department that trusts no hop sets it).
	// Nil: records are decoded, not validated.
	Validator *schema.Validator
	// Logger gets malformed messages and fetch errors (warn). Nil: silent.
	Logger *slog.Logger
}

// withDefaults returns c with every zero field that has a default set.
func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.Batch == 0 {
		c.Batch = min(DefaultBatch, c.MaxAckPending)
	}
	if c.FetchWait == 0 {
		c.FetchWait = DefaultFetchWait
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
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
	const forbidden = ". *>\t\r\n/\\"
	if strings.ContainsAny(c.Stream, forbidden) {
		bad("Stream is %q; a stream name has no '.', '*', '>', '/', '\\' or white space", c.Stream)
	}
	if strings.ContainsAny(c.Consumer, forbidden) {
		bad("Consumer is %q; a consumer name has no '.', '*', '>', '/', '\\' or white space", c.Consumer)
	}
	for i, f := range c.FilterSubjects {
		if f == "" || strings.Contains(f, "..") || strings.HasPrefix(f, ".") || strings.HasSuffix(f, ".") || strings.ContainsAny(f, " \t\r\n") {
			bad("FilterSubjects[%d] is %q; it must be a subject (dot-separated non-empty tokens)", i, f)
		}
	}
	if c.AckWait < 0 {
		bad("AckWait is %s; it must be positive", c.AckWait)
	}
	if c.MaxAckPending < 1 {
		bad("MaxAckPending is %d; it must be positive", c.MaxAckPending)
	}
	if c.MaxDeliver < 0 {
		bad("MaxDeliver is %d; it must not be negative (0: no bound)", c.MaxDeliver)
	}
	if c.Batch < 1 || c.Batch > c.MaxAckPending {
		bad("Batch is %d; it must be between 1 and MaxAckPending (%d)", c.Batch, c.MaxAckPending)
	}
	if c.FetchWait < 0 {
		bad("FetchWait is %s; it must be positive", c.FetchWait)
	}
	if c.MaxMessageBytes < 1 {
		bad("MaxMessageBytes is %d; it must be positive", c.MaxMessageBytes)
	}
	return errors.Join(errs...)
}
