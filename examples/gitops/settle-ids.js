#!/usr/bin/env node
// Which token ids that a refused `pulumi up` named in `COMMVAULT_TOKENS_SETTLE=<ids> pulumi up` are
// certainly this stack's leftovers (pipeline.sh settle_ids says the rule):
//   node settle-ids.js <up's output> <state after that up> <state before this pipeline's up>
// Prints the confirmed ids, comma-separated; says on stderr why it leaves each other id to a person.
"use strict";
const fs = require("fs");
const out = fs.readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const d = JSON.parse(fs.readFileSync(process.argv[3], "utf8")).deployment || {};
const before = fs.existsSync(process.argv[4]) ? JSON.parse(fs.readFileSync(process.argv[4], "utf8")).deployment || {} : {};
const pending = (d.pending_operations || []).filter((op) => op.type === "creating").map((op) => op.resource.inputs || {});
const sameOwner = (o, user) => o.userName === user || String(o.userId) === user;
// (b): every token id a resource of the state holds, before this up and after it.
const holders = new Map();
for (const r of [...(before.resources || []), ...(d.resources || [])]) {
  const id = (r.outputs || {}).tokenId;
  if (id !== undefined && id !== null) holders.set(String(id), r.urn);
}
// (c): the killed run last wrote the state at its manifest time (nanoseconds cut to milliseconds).
const lastWrite = Date.parse(String((before.manifest || {}).time || "").replace(/(\.\d{3})\d+/, "$1")) / 1000;
const named = new Map(), ok = new Set();
const madeInTime = (id, text) => {
  const m = /^(\S+) by (this machine.s|the CommServe.s) clock/.exec(text);
  const bound = /plus (\d+) s \(the longest a create takes\)/.exec(out);
  if (!m || !bound) return `the refusal does not say when it was created, or the longest a create takes`;
  if (!m[2].startsWith("this")) return `its creation (${m[1]}) is on the CommServe's clock only (its answers carry no Date header), which cannot be compared with this machine's`;
  if (Number.isNaN(lastWrite)) return "the state before this up has no manifest time";
  const created = Date.parse(m[1]) / 1000, latest = lastWrite + Number(bound[1]);
  if (!(created <= latest)) return `it was created at ${m[1]} by this machine's clock, after the killed run could have made it: its last record (deployment.manifest.time ${before.manifest.time}) plus ${bound[1]} s, the longest a create takes; another stack declaring the same name and owner may have made it`;
  return undefined;
};
const judge = (id, created, tried) => {
  if (!tried) return named.set(id, "no creating operation of this stack pending under its name and owner, nor an updating one of the resource that holds the token it rotates");
  if (holders.has(id)) return named.set(id, `resource ${holders.get(id)} of this stack holds it in its outputs (tokenId)`);
  const late = madeInTime(id, created);
  if (late) return named.set(id, late);
  named.set(id, "");
  ok.add(id);
};
const refusal = /named "([^"]+)" already exists for user (\S+) \(token id (\d+), created (.*?)\)\. It looks like one that a run of this stack cut short/g;
for (const [, name, user, id, created] of out.matchAll(refusal)) judge(id, created, pending.some((i) => sameOwner(i, user) && i.name === name));
// A rotation cut short: the pending update of the resource that holds the old token.
const held = new Map((before.resources || []).map((r) => [r.urn, r.outputs || {}]));
const updating = (before.pending_operations || []).filter((op) => op.type === "updating");
const rotation = /named "([^"]+)" already exists for user (\S+) \(token id (\d+), created (.*?)\)\. It looks like the new token of a rotation of this resource that a run of this stack cut short left behind: this resource.s token (\d+) already holds its aside name/g;
for (const [, name, user, id, created, old] of out.matchAll(rotation)) {
  const mine = (op) => {
    const outs = held.get(op.resource.urn);
    return outs && String(outs.tokenId) === old && sameOwner(outs, user) && (op.resource.inputs || {}).name === name;
  };
  judge(id, created, updating.some(mine));
}
for (const [id, why] of named) if (!ok.has(id)) console.error(`pipeline: token ${id} is not settled: ${why}; it is left to a person (see docs/runs-cut-short.md#confirming-an-id-by-hand)`);
if (ok.size) console.log([...ok].join(","));
