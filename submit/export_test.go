package submit

// RaceEnabled tells the external test package's proofs whether the race
// detector is on (it slows validation and the outbox tenfold).
const RaceEnabled = clientRace
