package submit

import (
	"context"
	"sync"
)

// KeyLocks serializes, within one process, the holders of one key: a
// second Lock of a key waits until the first holder unlocks or its ctx
// ends. A LedgerStore uses it for one organization's idempotency key, so
// a retry waits for the answer of the request it repeats. The zero value
// is ready; it holds an entry only per key held now.
type KeyLocks struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // key -> closed when its holder is done
}

// Lock takes key, waiting for its holder if there is one, and returns the
// function that releases it (call it once). It returns ctx's error, and
// takes nothing, if ctx ends first.
func (k *KeyLocks) Lock(ctx context.Context, key string) (unlock func(), err error) {
	for {
		k.mu.Lock()
		ch, held := k.busy[key]
		if !held {
			if k.busy == nil {
				k.busy = map[string]chan struct{}{}
			}
			ch = make(chan struct{})
			k.busy[key] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.busy, key)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
