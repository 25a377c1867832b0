// Checks the self-contained schemas of schema/bundle with ajv, an
// implementation of JSON Schema 2020-12 independent of the Go one, against
// vectors carrying the Go validator's verdict (written by the Go test
// TestBundlesWithAjv). Exits 1 on any disagreement.
//
//   NODE_PATH=<dir>/node_modules node check.cjs <bundle dir> <vectors.json>
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [bundleDir, vectorFile] = process.argv.slice(2);
if (!bundleDir || !vectorFile) {
  console.error("usage: node check.cjs <bundle dir> <vectors.json>");
  process.exit(2);
}
const validators = {};
for (const f of fs.readdirSync(bundleDir).filter((f) => f.endsWith(".schema.json")).sort()) {
  // One instance per bundle: every bundle embeds the same shared resources.
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  validators[f] = ajv.compile(JSON.parse(fs.readFileSync(path.join(bundleDir, f), "utf8")));
}
const vectors = JSON.parse(fs.readFileSync(vectorFile, "utf8"));
let agree = 0, skipped = 0;
const disagree = [];
for (const v of vectors) {
  if (v.cannot_say) {
    skipped++;
    continue;
  }
  const doc = JSON.parse(v.doc);
  for (const b of v.bundles) {
    const validate = validators[b];
    if (!validate) {
      disagree.push(`${v.name}: no bundle ${b}`);
      continue;
    }
    const ok = validate(doc);
    if (ok === v.valid) {
      agree++;
    } else {
      disagree.push(`${v.name} with ${b}: Go says valid=${v.valid}, ajv says ${ok} ${JSON.stringify(validate.errors)}`);
    }
  }
}
console.log(`ajv ${require("ajv/package.json").version}: ${agree} verdicts agree with the Go validator over ${vectors.length} vectors and ${Object.keys(validators).length} bundles; ${disagree.length} disagree; ${skipped} vectors refused by rules JSON Schema cannot say (not compared)`);
for (const d of disagree.slice(0, 20)) console.log("  " + d);
process.exit(disagree.length ? 1 : 0);
