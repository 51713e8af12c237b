import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXAMPLE } from "../helpers/gitops";

/**
 * examples/gitops/settle-ids.js: which ids that a refused `up` printed the pipeline confirms as this
 * stack's leftovers. Fed the refusal as the provider words it and the state as `pulumi stack export`
 * writes it; each case breaks one of the three checks (docs/runs-cut-short.md#confirming-an-id-by-hand).
 */
describe("pipeline.sh settle_ids (settle-ids.js): an id is confirmed only when all three checks hold", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-settle-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const KILLED_AT = "2026-12-06T10:00:00.123456789Z";
  const BOUND = 2625;
  const urn = (name: string) => `urn:pulumi:dev::commvault-tokens-gitops::pulumi-nodejs:dynamic/commvault:AccessToken::${name}`;
  const refusal = (name: string, id: number, created: string) =>
    `error: a Commvault access token named "${name}" already exists for user svc-backup (token id ${id}, created ${created}). ` +
    `It looks like one that a run of this stack cut short left behind while creating this resource (…). ` +
    `Confirm it only if, in \`pulumi stack export\` of this stack: … and it was created no later than the checkpoint's deployment.manifest.time plus ${BOUND} s (the longest a create takes) by this machine's clock. ` +
    `Nothing was touched. If token ${id} is this stack's, run \`COMMVAULT_TOKENS_SETTLE=${id} pulumi up\``;
  const here = (at: string) => `${at} by this machine's clock, the CommServe's createdTime ${at} less its clock's offset of +0 s from its Date header`;
  const pendingCreate = (name: string) => ({ type: "creating", resource: { urn: urn(name), inputs: { name, userName: "svc-backup" } } });
  const holding = (name: string, tokenId: number) => ({ urn: urn(name), outputs: { name, userName: "svc-backup", tokenId } });

  function settle(out: string, state: object, before: object): { ids: string; said: string } {
    const files = ["out", "state.json", "before.json"].map((f) => path.join(dir, f));
    fs.writeFileSync(files[0]!, out);
    fs.writeFileSync(files[1]!, JSON.stringify({ version: 3, deployment: state }));
    fs.writeFileSync(files[2]!, JSON.stringify({ version: 3, deployment: before }));
    const err = path.join(dir, "err");
    const ids = execFileSync("bash", ["-c", `node "$0" "$@" 2>"${err}"`, path.join(EXAMPLE, "settle-ids.js"), ...files], { encoding: "utf8" }).trim();
    return { ids, said: fs.readFileSync(err, "utf8") };
  }
  const killedState = (extra: object[] = []) => ({ manifest: { time: KILLED_AT }, resources: extra, pending_operations: [pendingCreate("x-0")] });

  test("a pending create of its name, no holder, made within the killed run's last record plus the bound: confirmed", () => {
    const r = settle(refusal("x-0", 269, here("2026-12-06T10:05:00Z")), killedState(), killedState());
    expect(r.ids).toBe("269");
    expect(r.said).toBe("");
  });

  test("made later than the killed run's last record plus the bound (another stack's, after the kill): left to a person, saying why", () => {
    const late = new Date(Date.parse("2026-12-06T10:00:00Z") + (BOUND + 2) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const r = settle(refusal("x-0", 270, here(late)), killedState(), killedState());
    expect(r.ids).toBe("");
    expect(r.said).toContain(`pipeline: token 270 is not settled: it was created at ${late} by this machine's clock, after the killed run could have made it: its last record (deployment.manifest.time ${KILLED_AT}) plus ${BOUND} s`);
  });

  test("a resource of the state holds the id in its outputs (one the refused run had not diffed yet): never confirmed", () => {
    const after = { ...killedState([holding("r1", 302)]), pending_operations: [pendingCreate("swap-a")] };
    const r = settle(refusal("swap-a", 302, here("2026-12-06T10:05:00Z")), after, { ...killedState(), pending_operations: [pendingCreate("swap-a")] });
    expect(r.ids).toBe("");
    expect(r.said).toContain(`pipeline: token 302 is not settled: resource ${urn("r1")} of this stack holds it in its outputs (tokenId)`);
  });

  test("a holder in the state before this up counts too", () => {
    const before = { ...killedState([holding("r1", 302)]), pending_operations: [pendingCreate("swap-a")] };
    const r = settle(refusal("swap-a", 302, here("2026-12-06T10:05:00Z")), { ...killedState(), pending_operations: [pendingCreate("swap-a")] }, before);
    expect(r.ids).toBe("");
    expect(r.said).toContain("holds it in its outputs");
  });

  test("no pending create of that name: left to a person", () => {
    const r = settle(refusal("alien-0", 271, here("2026-12-06T10:05:00Z")), killedState(), killedState());
    expect(r.ids).toBe("");
    expect(r.said).toContain("pipeline: token 271 is not settled: no creating operation of this stack pending under its name and owner");
  });

  test("a creation on the CommServe's clock only (no Date header): left to a person", () => {
    const blind = "2026-12-06T10:05:00Z by the CommServe's clock, whose offset to this machine's is unknown since its answers carry no Date header";
    const r = settle(refusal("x-0", 272, blind), killedState(), killedState());
    expect(r.ids).toBe("");
    expect(r.said).toContain("pipeline: token 272 is not settled: its creation (2026-12-06T10:05:00Z) is on the CommServe's clock only");
  });

  test("several refusals: each judged on its own", () => {
    const out = [refusal("x-0", 269, here("2026-12-06T10:05:00Z")), refusal("x-1", 275, here("2026-12-06T10:06:00Z"))].join("\n");
    const state = { ...killedState(), pending_operations: [pendingCreate("x-0"), pendingCreate("x-1")] };
    expect(settle(out, state, state).ids).toBe("269,275");
  });
});
