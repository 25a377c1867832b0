package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sicollab/sicollab/schema"
	"github.com/sicollab/sicollab/submit"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("partner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hub := fs.String("hub", "http://127.0.0.1:8480", "URL of the hub to submit to")
	org := fs.String("org", "", "your organization id, as the directory knows it (required)")
	tokenFile := fs.String("token-file", "", "file holding your bearer token (required)")
	outbox := fs.String("outbox", "outbox.db", "the client's durable outbox file")
	kind := fs.String("kind", schema.KindFinanceTransaction, "the record's kind")
	payloadFile := fs.String("payload", "", "file holding the record's payload as JSON (required)")
	requirement := fs.String("requirement", "", "id of the requirement you collect under (required)")
	handling := fs.String("handling", string(schema.HandlingAmber), "TLP 2.0 label")
	legalBasis := fs.String("legal-basis", "", "the law or agreement you share under (required)")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait for the receipt")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *org == "" || *tokenFile == "" || *payloadFile == "" || *requirement == "" || *legalBasis == "" {
		fmt.Fprintln(stderr, "partner: -org, -token-file, -payload, -requirement and -legal-basis are required")
		fs.Usage()
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := submitOne(ctx, stdout, config{
		hub: *hub, org: *org, tokenFile: *tokenFile, outbox: *outbox, kind: *kind, payloadFile: *payloadFile,
		requirement: *requirement, handling: schema.Handling(*handling), legalBasis: *legalBasis,
	}); err != nil {
		fmt.Fprintln(stderr, "partner:", err)
		return 1
	}
	return 0
}

type config struct {
	hub, org, tokenFile, outbox, kind, payloadFile, requirement, legalBasis string
	handling                                                                schema.Handling
}

func submitOne(ctx context.Context, stdout io.Writer, c config) (err error) {
	token, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return err
	}
	payload, err := os.ReadFile(c.payloadFile)
	if err != nil {
		return err
	}
	// Step 1: the envelope. Every record has a UUID v7 id, a purpose, a
	// legal basis, a handling label and a date by which it is deleted.
	now := time.Now().UTC().Truncate(time.Second)
	env := schema.Envelope{
		ID: schema.NewID(), Kind: c.kind, SchemaVersion: 1, Source: c.org, CollectedAt: now,
		Purpose:    schema.Purpose{RequirementID: c.requirement},
		LegalBasis: c.legalBasis, Handling: c.handling, RetainUntil: now.AddDate(0, 6, 0),
		Payload: payload,
	}
	// Step 2: the client. It validates each record at once (an invalid one
	// is refused by Submit and never queued) and keeps the rest in its
	// outbox until a receipt covers them.
	var receipt submit.Receipt
	client, err := submit.NewClient(submit.ClientConfig{
		Endpoint: c.hub, Org: c.org, Token: strings.TrimSpace(string(token)),
		OutboxPath: c.outbox,
		OnReceipt:  func(r submit.Receipt) { receipt = r },
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, client.Close(context.WithoutCancel(ctx))) }()
	if err := client.Submit(ctx, env); err != nil {
		return fmt.Errorf("record refused before sending: %w", err)
	}
	// Step 3: wait for the hub. Flush returns a *submit.RefusedError when
	// the hub rejected the record, and wraps submit.ErrCredentials when it
	// refused the token.
	if err := client.Flush(ctx); err != nil {
		var re *submit.RefusedError
		if errors.As(err, &re) && len(re.Samples) > 0 {
			dl := re.Samples[0]
			return fmt.Errorf("%w (reason %s, errors %v); fix it, then resubmit dead letter %d or discard it",
				err, dl.Reason, dl.Errors, dl.ID)
		}
		return err
	}
	fmt.Fprintf(stdout, "accepted record %s in submission %s (%d accepted, %d duplicate)\n",
		env.ID, receipt.SubmissionID, receipt.Counts.Accepted, receipt.Counts.Duplicate)
	return nil
}
