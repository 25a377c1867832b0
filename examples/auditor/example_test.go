package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/sicollab/sicollab/submit/translog"
)

// The auditor watches one hub on loopback over two runs that share a
// state directory. Between them the hub goes back to an older copy of its
// log, signed with the same key: the second run reports the rollback and
// exits 3. The hub's address changes from run to run, so the example
// prints each report's status and size.
func Example() {
	tmp, err := os.MkdirTemp("", "auditor-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	signer, verifier, err := translog.GenerateKey("hub.example/log")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The hub's log with 10 leaves (readLeaf, of main_test.go), and an
	// older copy of it with 4.
	var logs [2]*translog.Log
	for i, n := range []int{10, 4} {
		l, err := translog.Open(translog.Config{Path: filepath.Join(tmp, fmt.Sprintf("log%d.db", i)), SignerKey: signer, VerifierKey: verifier})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer l.Close()
		for k := range n {
			if _, err := l.Append(context.Background(), readLeaf(k)); err != nil {
				fmt.Println(err)
				return
			}
		}
		logs[i] = l
	}
	var served atomic.Pointer[http.Handler]
	current := logs[0].Handler()
	served.Store(&current)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*served.Load()).ServeHTTP(w, r) }))
	defer hub.Close()

	hubs := filepath.Join(tmp, "hubs.txt")
	if err := os.WriteFile(hubs, []byte(hub.URL+" "+verifier+"\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	args := []string{"-hubs", hubs, "-state", filepath.Join(tmp, "state"), "-polls", "1", "-sample", "3", "-seed", "7"}
	poll := func() {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		var r Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			fmt.Println(err, errOut.String())
			return
		}
		fmt.Printf("exit %d: %s, size %d, %d proofs checked\n", code, r.Status, r.Size, r.Sampled)
	}
	poll()
	older := logs[1].Handler()
	served.Store(&older)
	poll()
	// Output:
	// exit 0: ok, size 10, 3 proofs checked
	// exit 3: rollback, size 4, 0 proofs checked
}
