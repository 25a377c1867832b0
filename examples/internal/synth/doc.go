// Package synth generates synthetic records of every record kind of the
// scheme, wrapped in valid envelopes, for the example programs and the
// whole-scheme demo. It can plant known patterns in the background noise
// and keeps their ground truth aside, so that a demo can report what its
// detectors found and missed. Everything it makes is invented: no record
// describes a real person.
//
// It lives under examples/internal so that only the example programs use
// it; partners build their own collectors on the public packages.
//
// # Use
//
//	g, err := synth.New(synth.Config{Seed: 1, Purpose: schema.Purpose{RequirementID: reqID}})
//	records, truth, err := g.Scenario(100_000, synth.Patterns()...)
//	for env := range records { ... submit env ... }
//	// later: synth.Evaluate(truth, findings)
//
// Records(n) gives background records only, Generate(kind) one record of a
// kind, Plant(pattern) the records of one planted instance. Directory,
// SchemeJSON and Token give the synthetic directory of the scheme and its
// fixture tokens, for a demo that runs hubs and clients.
//
// # Determinism
//
// The output is a function of the Config alone: math/rand/v2 PCG streams
// seeded from Config.Seed, and people derived from the seed and their
// number. The same Config gives byte-identical envelopes (ids included)
// and the same truth; iterating a sequence again replays it. Ids are UUID
// v7 built from the stream, with the event time in the timestamp bits, so
// they sort by time.
//
// # Records
//
// Records of a kind come from the organizations of the directory
// (Directory(), the synthetic scheme, by default) that may submit it:
// its social forces, and general business departments that submit it
// without supervising a social force that does (customs, for inspections
// and land-border crossings). Payload fields naming an organization
// (seller, premises, facility, platform, carrier, institution) name the
// source. Config.Sources restricts records to some organizations, for an
// example program that plays one of them. Every envelope carries the
// Config's purpose (or Config.Purposes' for its kind), a per-kind legal
// basis, the handling label (AMBER by default), collected_at a minute to
// an hour and a half after the event, and retain_until a year later.
//
// The default mix, in parts of 1000 (Config.Weights overrides it):
//
//	finance.transaction        300   transfers, card payments, cash in and out, remittances, donations
//	transport.passenger        250   rail, air and coach trips on a daily timetable of each carrier
//	services.lodging           150   hotel and hostel registrations, at check-in or check-out
//	customs.entry_exit         120   airport, land and ferry crossings, exits and entries alternating
//	transport.freight           60   sea, air, rail and road waybills, some dangerous goods
//	telecom.account_report      40   flagged accounts with content digests
//	customs.inspection          40   inspections, about one in ten with a finding
//	commerce.hazmat_purchase    30   precursor and hazardous substance sales
//	health.infectious_source    10   outbreak reports (counts only, never a patient)
//
// Places are real public codes of big Chinese cities, ports and airports
// (UN/LOCODE, IATA, ISO 3166-2), with service durations from their
// distances; organizations, services, references, amounts and people are
// made up.
//
// # People and privacy
//
// The background is Config.Population people; each planted instance adds
// new ones who take no other part. Each person has a passport number, a
// national id, a phone number, an e-mail address, accounts at the
// directory's financial institutions and a platform account id, all
// generated and deliberately unlike real ones (phone numbers under the
// unassigned country code +999, e-mail under example.org/.net/.com).
// Records carry only their keyed pseudonyms (schema.Pseudonymizer under a
// fixed synthetic key, DefaultKey, unless Config.Key is set), chosen the
// way each source knows the person: the identity document at a counter,
// the phone number of a remote purchase or booking, the passport at the
// border. Names never appear unless Config.Identity asks for clear
// identity, which needs handling AMBER+STRICT or RED.
//
// # Planted patterns and their detection rules
//
// Each rule below is what a detector applies, linking records by
// pseudonym alone; the constants are exported. A planted instance exceeds
// its rule with a margin, and the background of a Scenario stays under it
// by construction, so a detector following the rule finds every planted
// instance and nothing else (the tests run a reference detector at recall
// 1 and precision 1, with a dense background as well). The background does
// come close to each rule (band deposits, shared runs, short trips, buyers
// of several substances), so a looser rule pays in precision.
//
// Structuring (PatternStructuring). Take cash_deposit transactions in CNY
// with an amount from StructuringFloor (45,000) up to, not including,
// StructuringThreshold (50,000, the large-cash reporting threshold). The
// depositor is the conductor's subject, or else the beneficiary's holder.
// Report a depositor with at least StructuringMinDeposits (4) such
// deposits within StructuringWindow (7 days) at at least
// StructuringMinInstitutions (2) institutions (envelope source).
// Planted: 6 to 9 deposits within 2 to 5 days at 2 or 3 banks, at
// branches in several cities. Background: at most 2 band deposits per
// person within any 7 days; other deposits are under 36,000 or 50,000 and
// more.
//
// Co-travel (PatternCoTravel). A flagged subject is the contact of an
// account in any telecom.account_report. A run is a service number and a
// scheduled departure; ignore cancelled and no-show records. Report a
// traveller who shares at least CoTravelMinRuns (3) runs with one flagged
// subject, naming the traveller first. Planted: the flagged subject's
// account report, then 4 or 5 shared runs on an out-and-back pair of
// domestic services within three weeks, plus 1 or 2 runs alone; both buy
// by mobile app, so both are known by phone, as the contact is. Background:
// other travellers share at most 1 run with a planted flagged subject;
// flagged background people never travel.
//
// Precursors (PatternPrecursor). Report a flagged subject (as above)
// who, as buyer of commerce.hazmat_purchase records, buys at least
// PrecursorMinSubstances (2) distinct substances (CAS numbers) within
// PrecursorWindow (30 days), whatever the outcome. Planted: the account
// report, then an oxidiser, a fuel or solvent and a nitrate from the
// directory's sellers within 20 days, bought remotely under the phone
// number. Background: flagged background people never buy.
//
// Abnormal entry-exit (PatternEntryExit). Per traveller, a short trip is
// an exit whose next crossing is an entry within EntryExitShortTrip (48
// hours). Report a traveller with at least EntryExitMinShortTrips (3)
// short trips starting within EntryExitWindow (14 days), of which at
// least EntryExitMinPortSwitches (2) return through another port (locode)
// than the one left by. Planted: 4 short trips of 6 to 30 hours within 12
// days, out by land or ferry and back through another port. Background:
// crossings alternate exit and entry per person, at least 2 hours apart,
// with at most 1 short trip in any 15 days.
//
// The guarantees hold for Scenario (and Records). Generate makes records
// at random times and keeps no such bookkeeping. Evaluate scores a
// detector's findings against the truth.
//
// # Performance
//
// Generation takes about 6 microseconds and 13 allocations per record,
// with no reflection beyond encoding/json's cached encoders: about 170,000
// records a second on one core, 55,000 to 90,000 when each envelope is
// also encoded to JSON (about 1.1 kB each; encoding/json re-scans the
// payload), so a million records take seconds. Config.Provenance adds an
// RFC 8785 canonicalization per record and divides the rate by five. A
// sequence holds no record once yielded; memory is bounded by the
// population (pseudonyms are cached per person, up to about 700 bytes
// each: 13 MB at the default population, 170 MB at a million) and the
// planted records.
//
// A Generator and its sequences are not safe for concurrent use.
package synth
