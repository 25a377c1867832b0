package stage

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestContentHash: the default key's hash, made from bytes, is the one a
// KeyFunc's string gets, so both paths remember the same records.
func TestContentHash(t *testing.T) {
	for _, key := range []string{"", "k", "transport.passenger\x1fa\x1fb"} {
		assert.Equal(t, hash16("content", "src-1", "kind.x", key), contentHash("src-1", "kind.x", []byte(key)), key)
	}
}
