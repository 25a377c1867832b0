package jetstream

import (
	"fmt"
	"testing"

	js "github.com/nats-io/nats.go/jetstream"
)

// TestWrongSequenceCodes checks that both codes a server gives for a
// refused compare-and-set are recognized: a replicated bucket answers
// 10164, and Lock took it for a failure (a 503) when two hubs raced for
// one idempotency key over a purge marker.
func TestWrongSequenceCodes(t *testing.T) {
	for _, code := range []js.ErrorCode{js.JSErrCodeStreamWrongLastSequence, js.JSErrCodeStreamWrongLastSequenceConstant} {
		err := fmt.Errorf("nats: %w", &js.APIError{Code: 400, ErrorCode: code, Description: "wrong last sequence"})
		if !isWrongSequence(err) {
			t.Errorf("code %d is not taken for a refused compare-and-set", code)
		}
	}
	if isWrongSequence(&js.APIError{Code: 404, ErrorCode: js.JSErrCodeStreamNotFound}) {
		t.Error("a missing stream is taken for a refused compare-and-set")
	}
}
