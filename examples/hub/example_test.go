//go:build unix

// The example stops the hub with SIGTERM sent to this process, which
// Windows cannot do.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

// The hub runs in this process on a loopback port over the synthetic
// directory: the leading group sends it a requirement, a bank a record
// collected under it, and SIGTERM (sent to this process, which the hub
// catches from its start until it stops) shuts it down. The record is
// then in its store. The port changes from run to run, so the example
// prints what the hub answered, not where.
func Example() {
	data, err := os.MkdirTemp("", "hub-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(data)
	outR, outW := io.Pipe()
	var logs syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run([]string{"-listen", "127.0.0.1:0", "-directory", scheme, "-data", data, "-org", "central-bank"}, outW, &logs)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		fmt.Println("the hub stopped before it listened:", <-exited, logs.String())
		return
	}
	addr, _ := strings.CutPrefix(lines.Text(), "listening on ")
	go io.Copy(io.Discard, outR)

	now := time.Now().UTC().Truncate(time.Second)
	reqID := uuid.Must(uuid.NewV7()).String()
	payload, err := os.ReadFile("../../schema/testdata/finance.transaction/v1/valid/card_payment_merchant.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	var recID string
	for _, s := range []struct {
		org, kind string
		payload   any
	}{
		{"leading-group", schema.KindRequirement, corridorRequirement(reqID, now)},
		{"bank-north-01", schema.KindFinanceTransaction, json.RawMessage(payload)},
	} {
		rc, err := post("http://"+addr, s.org, s.kind, reqID, s.payload, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s from %s: %d accepted\n", s.kind, s.org, rc.Counts.Accepted)
		recID = rc.Results[0].ID
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exit", <-exited, strings.Contains(logs.String(), "hub stopped cleanly"))
	store, err := submit.OpenStore(filepath.Join(data, "store.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	got, err := store.Get(context.Background(), recID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("in the store:", got.Kind, "from", got.Source)
	// Output:
	// collab.requirement from leading-group: 1 accepted
	// finance.transaction from bank-north-01: 1 accepted
	// exit 0 true
	// in the store: finance.transaction from bank-north-01
}

// post sends one envelope of org to the hub at url, as envLine and
// postNDJSON do in the tests, and returns the hub's receipt.
func post(url, org, kind, reqID string, payload any, now time.Time) (submit.Receipt, error) {
	env := schema.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Kind: kind, SchemaVersion: 1, Source: org,
		CollectedAt: now.Add(-time.Minute), Purpose: schema.Purpose{RequirementID: reqID},
		LegalBasis: "Synthetic Counter-Terrorism Act, art. 43", Handling: schema.HandlingAmber,
		RetainUntil: now.AddDate(1, 0, 0),
	}
	var rc submit.Receipt
	if err := env.SetPayload(payload); err != nil {
		return rc, err
	}
	line, err := json.Marshal(env)
	if err != nil {
		return rc, err
	}
	body := append(line, '\n')
	r, err := http.NewRequest(http.MethodPost, url+submit.PathSubmissions, bytes.NewReader(body))
	if err != nil {
		return rc, err
	}
	r.Header.Set("Authorization", "Bearer token-"+org)
	r.Header.Set("Content-Type", submit.MediaNDJSON)
	r.Header.Set(submit.HeaderIdempotencyKey, uuid.Must(uuid.NewV7()).String())
	r.Header.Set(submit.HeaderContentDigest, submit.ContentDigest(body))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(r)
	if err != nil {
		return rc, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return rc, err
	}
	if resp.StatusCode != http.StatusOK {
		return rc, fmt.Errorf("hub answered %d: %s", resp.StatusCode, raw)
	}
	return rc, json.Unmarshal(raw, &rc)
}
