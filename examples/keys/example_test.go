package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sicollab/sicollab/collab"
	"github.com/sicollab/sicollab/schema"
)

// gen makes a new key pair: the private half goes to the file, the entry
// for the directory to standard output. The public key is random, so the
// example prints the entry's other fields and checks that its key is the
// public half of the file's.
func Example_gen() {
	tmp, err := os.MkdirTemp("", "keys-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	keyFile := filepath.Join(tmp, "bank.key")
	var out, errOut bytes.Buffer
	if code := run([]string{"gen", "-org", "bank-north-01", "-key-id", "bank-north-01-2027", "-out", keyFile,
		"-not-before", "2027-01-01T00:00:00Z", "-valid", "8760h"}, &out, &errOut); code != 0 {
		fmt.Println("exit", code, errOut.String())
		return
	}
	var entry schema.DirectoryKey
	if err := json.Unmarshal(out.Bytes(), &entry); err != nil {
		fmt.Println(err)
		return
	}
	k, err := collab.ParseKey("bank-north-01", entry)
	if err != nil {
		fmt.Println(err)
		return
	}
	priv, err := readKey(keyFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(entry.KeyID, entry.Alg, entry.NotBefore.Format(time.DateOnly), "to", entry.NotAfter.Format(time.DateOnly))
	fmt.Println("public half of the file's key:", k.Public.Equal(priv.Public()))
	// Output:
	// bank-north-01-2027 ed25519 2027-01-01 to 2028-01-01
	// public half of the file's key: true
}

// sign signs a directory with the leading group's key, here the synthetic
// scheme's fixture key (internal/demoscheme/README.md), and the signature
// verifies with the key the directory lists.
func Example_sign() {
	tmp, err := os.MkdirTemp("", "keys-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	raw, err := os.ReadFile("../../internal/demoscheme/scheme.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	dirFile, keyFile := filepath.Join(tmp, "scheme.json"), filepath.Join(tmp, "lg.key")
	seed := sha256.Sum256([]byte("key-leading-group"))
	if err := os.WriteFile(dirFile, raw, 0o644); err != nil {
		fmt.Println(err)
		return
	}
	if err := writeKey(keyFile, ed25519.NewKeyFromSeed(seed[:])); err != nil {
		fmt.Println(err)
		return
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"sign", "-directory", dirFile, "-key", keyFile, "-key-id", "leading-group-2026"}, &out, &errOut); code != 0 {
		fmt.Println("exit", code, errOut.String())
		return
	}
	fmt.Print(errOut.String())
	sig, err := os.ReadFile(dirFile + ".sig")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := collab.ParseDirectory(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	k, err := collab.VerifyDirectorySignature(raw, sig, d.LeadingGroup().Keys, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified with", k.ID)
	// Output:
	// keys sign: directory version 1 signed with leading-group-2026
	// verified with leading-group-2026
}
