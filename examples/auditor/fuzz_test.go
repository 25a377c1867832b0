package main

import (
	"strings"
	"testing"
)

// FuzzParseHubs: a hubs file parses to hubs of two non-empty fields each,
// or fails; never a panic.
func FuzzParseHubs(f *testing.F) {
	f.Add("# hubs\n\nhttp://127.0.0.1:8480 hub.example/log+1a2b3c4d+AAAA\n")
	f.Add("http://x\n")
	f.Add("a b c\n")
	f.Fuzz(func(t *testing.T, s string) {
		hubs, err := ParseHubs(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, h := range hubs {
			if h.URL == "" || h.Key == "" || strings.ContainsAny(h.URL+h.Key, " \t\n") {
				t.Fatalf("parsed %+v from %q", h, s)
			}
		}
	})
}
