// Checks pseudonyms.json and digests.json of this folder with nothing but
// node: HMAC-SHA-256 over id_type ":" normalized, and SHA-256 over the
// RFC 8785 canonical text (whose parse must equal the payload's). A
// partner's implementation is checked the same way, in its own language.
//
//   node check.cjs <folder>
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const dir = process.argv[2] || __dirname;
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return v;
}
let pass = 0, fail = 0;
const check = (ok, what) => { if (ok) pass++; else { fail++; console.log("FAIL " + what); } };

const p = read("pseudonyms.json");
for (const v of p.vectors) {
  const mac = crypto.createHmac("sha256", p.key).update(v.id_type + ":" + v.normalized, "utf8").digest("hex");
  check(mac === v.pseudonym, `pseudonym of ${v.id_type} ${JSON.stringify(v.raw)}: got ${mac}`);
}
const d = read("digests.json");
for (const v of d.vectors) {
  const sum = "sha-256:" + crypto.createHash("sha256").update(v.canonical, "utf8").digest("hex");
  check(sum === v.digest, `digest of ${v.name}: got ${sum}`);
  check(same(JSON.parse(v.canonical), v.payload), `canonical text of ${v.name} is not the payload`);
}
console.log(`vectors: ${pass} pass, ${fail} fail (${p.vectors.length} pseudonyms, ${d.vectors.length} digests)`);
process.exit(fail ? 1 : 0);
