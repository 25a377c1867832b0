package submit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestKeyLocks(t *testing.T) {
	var k KeyLocks
	unlock, err := k.Lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	// Another key is free while a is held.
	unlockB, err := k.Lock(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()
	// A second holder of a waits; an ended context gives up, taking nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Lock(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with an ended context while held: %v, want context.Canceled", err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := k.Lock(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("a second holder took a held key")
	case <-time.After(10 * time.Millisecond): // a short look; passing does not depend on it
	}
	unlock()
	(<-got)()
	if n := len(k.busy); n != 0 {
		t.Fatalf("%d keys still held after every unlock", n)
	}
}
