// Command keys makes the identity material of the scheme: an
// organization's signing key and its directory entry, a test CA with a
// certificate for every organization of a directory, and the leading
// group's signature of a directory.
//
//	keys gen  -org bank-north-01 -key-id bank-north-01-2027 -out bank.key
//	keys ca   -directory scheme.json -trust-domain sicollab.example -out pki/
//	keys sign -directory scheme.json -key leading-group.key -key-id leading-group-2027
//
// gen writes the Ed25519 private key (PKCS #8, PEM, mode 0600) and prints
// the entry to add to the organization's "keys" in the directory. ca
// writes ca.pem and ca-key.pem and, for each organization, <id>.pem and
// <id>-key.pem: a certificate whose one URI SAN is
// spiffe://<trust-domain>/org/<id>, for client and server use, with the
// -hosts as DNS or IP SANs so a hub can serve with its own. sign writes
// the detached signature beside the directory (<directory>.sig).
//
// The CA is for tests and demonstrations: a real scheme's CA keeps its
// key offline and issues certificates one by one.
package main
