// Command hub is a standalone receiving hub: the submission protocol
// (docs/protocol.md) over an embedded store, for one organization of the
// scheme.
//
//	hub -directory scheme.json -data /var/lib/hub -org central-bank [-purposes purposes.ndjson]
//
// A new hub refuses every record with purpose_unknown until it knows the
// requirement or task the record is collected under: their issuers send
// them over the protocol, or the operator gives a -purposes file of
// collab.requirement and collab.task envelopes, validated at start.
//
// With -nats the accepted records go to a replicated JetStream stream
// instead of the embedded store (see README.md for the stream flags),
// and the ledger and learnt purposes to key-value buckets on the same
// cluster: such hubs keep nothing of the protocol in -data, and any
// number of them behind one address give the same answers.
//
// It serves on loopback (127.0.0.1:8480) unless -listen says otherwise,
// prints "listening on <address>" on stdout once it accepts connections,
// logs to stderr, and shuts down gracefully on SIGINT or SIGTERM: it
// stops accepting, lets requests in progress finish (up to
// -shutdown-timeout), then closes its files.
//
// Identity (see docs/security.md): with -tls-cert and -tls-key it serves
// TLS 1.3; with -client-ca and -trust-domain it requires a client
// certificate of that CA and takes the organization from its URI SAN
// spiffe://<trust-domain>/org/<id>; -require-signatures requires RFC 9421
// signed requests with the directory's keys; -refuse-tokens refuses bearer
// tokens (otherwise a token sent must name the same organization).
// -directory-key requires the directory to be signed by the leading group
// (<directory>.sig). The directory is reloaded on SIGHUP and when its file
// changes; a directory that fails any check is refused, and the one in
// use stays.
//
// Beside the protocol it serves GET /metrics (Prometheus), /healthz
// (alive) and /readyz (store, ledger and directory open, not shutting
// down), with -ops-listen on a plain-HTTP listener of their own, and
// logs every read and every 401/403. On SIGTERM /readyz turns
// 503 first; -drain keeps serving for that long (a second signal ends
// it). Every flag may also be set by SICOLLAB_HUB_<FLAG> or in a JSON
// file given by -config; flags win over the environment, which wins over
// the file, and every problem of them is reported at once.
package main
