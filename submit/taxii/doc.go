// Package taxii serves a hub's products as TAXII 2.1 collections of STIX
// 2.1 objects, and reads them from other hubs.
//
// # STIX
//
// A product (schema.Product) is a STIX report, published when it was
// produced, created by the identity of its producer and marked with the
// TLP 2.0 marking definition of the label it is held under. Each entry is
// an object of the type sicollab-list-entry, which our extension
// definition (ExtensionID) defines as a new SDO: a pseudonymous subject, a
// score from 0 to 1, the reasons and the evidence ids. The product's own
// fields (list type, frequency, requirement, task, period, supersedes)
// travel in the same extension's property extension on the report.
// Organizations are identity objects. STIX ids are "type--uuid" with
// version 5 UUIDs derived from our ids (ReportID, EntryID, IdentityID):
// the same product always yields the same objects, and our version 7 ids
// never appear as STIX ids. created and modified have millisecond
// precision, in UTC.
//
// # TAXII
//
// Handler is an http.Handler serving TAXII 2.1 sections 4 and 5 for
// reading: discovery, one API root, one collection per list type (and a
// reference collection of the marking definitions, the extension
// definition and the identities every object refers to), objects,
// manifest, one object and its versions, with added_after, limit, next
// and match[id], match[type], match[version] and match[spec_version].
// Readers authenticate through an Authenticator (BearerTokens, as the
// submit Handler does); each product is served only to those
// collab.Directory.AuthorizeRead lets read it; every read is journaled.
//
// Client reads a TAXII 2.1 server: discovery, API roots, collections and
// objects page by page, and Products turns what it reads back into
// products. RemoteCatalog makes another hub's catalog a collab.Catalog,
// so that the application stage queries local and remote catalogs alike.
//
// # Receiving products
//
// CatalogSink, a submit.Sink, stores what a hub accepts and files the
// products among it in the hub's catalog under their envelopes' labels,
// so that received products are served and found like the hub's own.
package taxii
