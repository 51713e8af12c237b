import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";
import { DAY, iso, sharedClock } from "../helpers/time";

jest.setTimeout(600_000);

const PACK = path.join(ROOT, "policy", "pack");

const PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
const made = {};
for (const [key, { dependsOn, ...args }] of Object.entries(spec)) {
  made[key] = new AccessToken(key, args, { dependsOn: (dependsOn || []).map((k) => made[k]) });
}
`;

/**
 * Issue 19 items 5 and 6 under the plain CLI: no token is managed by two resources (refused at
 * preview by the provider where one run shows it, by the policy pack where only the stack does),
 * and a declared date that has passed never reaches a PUT.
 */
describe("end to end: nothing managed twice, no call the server must refuse", () => {
  const h = useEmulator({}, { fresh: false });
  const clock = sharedClock(h);
  let cli: PlainCli;
  let dir: string;
  const env = () => ({ COMMVAULT_TOKENS_NOW: String(clock.now()) });
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, env());
  const write = (spec: object) => fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
  const out = (r: CliResult) => r.stdout + r.stderr;
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login" && !e.path.startsWith("/v2/whoami")).map((e) => `${e.method} ${e.path}`);
  const stateIds = async () =>
    (JSON.parse(ok(await pulumi("stack", "export"))).deployment.resources ?? [])
      .filter((r: { type: string }) => r.type.endsWith(":AccessToken"))
      .map((r: { outputs: { tokenId: number } }) => r.outputs.tokenId);

  beforeAll(async () => {
    execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    clock.day(0);
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: once\nruntime: nodejs\n", "package.json": '{"name":"once","private":true}', "spec.json": "{}" });
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });
  afterAll(() => clock.reset());

  test("two resources adopting one token by one name (a copied block) are refused at preview and at up, before any write; state never holds it twice", async () => {
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    const spare = (await h.api.create(h.admin, { tokenName: "spare-backup", userId: SVC_BACKUP })).body.tokenInfo as { accessTokenId: number };
    const block = { name: "spare-backup", userName: "svc-backup", adopt: { byName: true } };
    write({ spare: block, spareCopy: block });
    h.running.emulator.log.length = 0;
    const p = await pulumi("preview");
    expect(p.code).not.toBe(0);
    // Named by logical name: the SDK passes it to the dynamic provider, which the engine tells no URN.
    expect(out(p)).toMatch(/adopt: access token \d+ \("spare-backup"\) is already managed by resource "(spare|spareCopy)", which adopts it in this run, and resource "(?!\1")(spare|spareCopy)" adopts it too; a token can be managed by one resource only/);
    const u = await pulumi("up", "--yes");
    expect(u.code).not.toBe(0);
    expect(out(u)).toMatch(/is already managed by resource "(spare|spareCopy)"/);
    expect(writes()).toEqual([]);
    const ids = await stateIds().catch(() => [] as number[]);
    expect(ids.filter((id: number) => id === spare.accessTokenId).length).toBeLessThanOrEqual(1);

    // One of them: adopted. Then a new resource that adopts it too, in either order of declaration.
    // The engine may check the new one before the holder registers: the policy pack, which sees the
    // whole stack, refuses it at preview; without the pack, up refuses it before any write.
    write({ spare: block });
    ok(await pulumi("up", "--yes"));
    expect(await stateIds()).toEqual([spare.accessTokenId]);
    const again = { name: "spare-2", userName: "svc-backup", adopt: { tokenId: spare.accessTokenId } };
    const refusal = new RegExp(`access token ${spare.accessTokenId} \\("spare-backup"\\) is already managed by resource "spare", which holds it in this stack's state, and resource "again" adopts it too`);
    // The holder registers as the program runs: the provider refuses the adopter at its check or,
    // at the latest, at its create (which waits a moment for the holder), before any write.
    write({ spare: block, again });
    h.running.emulator.log.length = 0;
    const held = await pulumi("up", "--yes", "--skip-preview");
    expect(held.code).not.toBe(0);
    expect(out(held)).toMatch(refusal);
    expect(writes()).toEqual([]);
    expect(await stateIds()).toEqual([spare.accessTokenId]);
    // The holder registers only after the adopter is done (it depends on it): only the whole stack
    // shows it, and the policy pack's mandatory rule refuses it at preview, and up before any write.
    write({ again, spare: { ...block, dependsOn: ["again"] } });
    const rule = new RegExp(`\\[mandatory\\]\\s+one-resource-per-token[\\s\\S]*?access token ${spare.accessTokenId} is managed by two resources: "again" \\(urn:[^)]*\\) adopts it, and "spare" \\(urn:[^)]*\\) holds it in the stack's state`);
    const judged = await pulumi("preview", "--policy-pack", PACK);
    expect(judged.code).not.toBe(0);
    expect(out(judged)).toMatch(rule);
    const guarded = await pulumi("up", "--yes", "--policy-pack", PACK);
    expect(guarded.code).not.toBe(0);
    expect(out(guarded)).toMatch(rule);
    expect(writes()).toEqual([]);
    expect(await stateIds()).toEqual([spare.accessTokenId]);
    write({ spare: block });
  });

  test("a declared date that has passed, for a token extended in Command Center: preview warns, up leaves it with no call", async () => {
    const until = iso(clock.start + 5 * DAY);
    write({ spare: { name: "spare-backup", userName: "svc-backup", adopt: { byName: true } }, dated: { name: "dated", userName: "svc-backup", renewableUntil: until } });
    ok(await pulumi("up", "--yes"));
    const dated = h.running.emulator.store.data.tokens.find((t) => t.tokenName === "dated")!;
    clock.day(6);
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    const later = clock.now() + 60 * DAY;
    expect((await h.api.call("PUT", `/V4/AccessToken/${dated.accessTokenId}`, { token: h.admin, body: { renewableUntilTimestamp: later } })).status).toBe(200);
    h.running.emulator.log.length = 0;
    const stale = /access token "dated" \(id \d+\): the program declares renewableUntil: \S+, which has passed, while the token is renewable until \S+ \(set outside Pulumi\); a passed date cannot be sent\. Set a later renewableUntil, or use a rolling lifetime/;
    const gate = await pulumi("preview", "--refresh", "--expect-no-changes");
    expect(gate.code).not.toBe(0);
    expect(out(gate)).toMatch(stale);
    const p = await pulumi("preview", "--refresh");
    expect(p.code).toBe(0);
    expect(out(p)).toMatch(stale);
    const u = await pulumi("up", "--yes", "--refresh");
    expect(u.code).toBe(0);
    expect(out(u)).toMatch(/access token "dated" \(\d+:\d+\) was left as it is: the program declares renewableUntil/);
    expect(writes()).toEqual([]);
    expect(h.running.emulator.store.data.tokens.find((t) => t.tokenName === "dated")!.renewableUntilTimestamp).toBe(later);
  });

  test("an adopted token that died is replaced by a new token at the next up, though the program still says adopt", async () => {
    // The engine checks a resource it replaces again as if it were new; that check used to take
    // adopt at its word and refuse the resource's own token as managed twice, failing every
    // preview and up of the stack until a person edited the program.
    write({ spare: { name: "spare-backup", userName: "svc-backup", adopt: { byName: true } } });
    const [adopted] = (await stateIds()) as number[];
    // Past the refresh window of the adopted token (made on day 0, never renewed): dead.
    clock.day(21);
    const p = await pulumi("preview", "--refresh");
    expect(p.code).toBe(0);
    expect(out(p)).not.toMatch(/already managed by/);
    expect(out(p)).toMatch(/replace/);
    ok(await pulumi("up", "--yes", "--refresh"));
    const ids = (await stateIds()) as number[];
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(adopted);
    expect(h.running.emulator.store.data.tokens.filter((t) => t.tokenName === "spare-backup").map((t) => t.accessTokenId)).toEqual(ids);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });
});
