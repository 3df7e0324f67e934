// Loads a Kintsugi export with the JavaScript Automerge package and prints
// what it sees, for tests/tests/interop.rs.
const { readFileSync } = require("node:fs");
const path = require("node:path");
const Automerge = require(
  path.join(process.env.KINTSUGI_AUTOMERGE_JS, "node_modules", "@automerge", "automerge"),
);
const doc = Automerge.load(new Uint8Array(readFileSync(process.argv[2])));
const count = (map) => Object.keys(map ?? {}).length;
console.log(
  JSON.stringify({
    couple_id: doc.couple_id,
    schema_version: Number(doc.schema_version),
    agreements: count(doc.agreements),
    checkins: count(doc.checkins),
    heads: Automerge.getHeads(doc).sort(),
  }),
);
