package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sicollab/sicollab/submit/translog"
)

// loadLogKey reads the transparency log's key file: the signer key on
// its first line, the verifier key on its second. A missing file is made,
// with a new key named origin, readable by the owner only, and the
// verifier key is also written to path+".pub" for the auditors.
func loadLogKey(path, origin string) (skey, vkey string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if skey, vkey, err = translog.GenerateKey(origin); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(path, []byte(skey+"\n"+vkey+"\n"), 0o600); err != nil {
			return "", "", fmt.Errorf("log key: %w", err)
		}
		if err := os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644); err != nil {
			return "", "", fmt.Errorf("log key: %w", err)
		}
		return skey, vkey, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("log key: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("log key %s: want the signer key and the verifier key, one a line; found %d lines", path, len(lines))
	}
	return lines[0], lines[1], nil
}
