import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type * as pulumi from "@pulumi/pulumi";
import { ADMIN, DAY, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { e2eProject, stateFile, type E2eProject } from "../helpers/pulumi";

jest.setTimeout(300_000);

type Args = Record<string, unknown>;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const soon = Math.floor(Date.now() / 1000);

/** The real engine, the packed package and the emulator, one step building on the last. */
describe("end to end: the Pulumi engine drives AccessToken against the emulator", () => {
  const h = useEmulator({}, { fresh: false });
  let project: E2eProject;
  let stack: Stack;
  let spec: Record<string, Args>;

  const program = async () => {
    const { AccessToken } = project.require("pulumi-commvault-tokens") as { AccessToken: new (n: string, a: Args) => pulumi.CustomResource & Record<string, pulumi.Output<unknown>> };
    const out: Record<string, unknown> = {};
    for (const [key, args] of Object.entries(spec)) {
      const t = new AccessToken(key, args);
      out[key] = { id: t.id, tokenId: t.tokenId, scope: t.scope, ipAllowlist: t.ipAllowlist, renewableUntil: t.renewableUntil, expiresAt: t.expiresAt, userName: t.userName };
      out[`${key}Secret`] = t.accessToken;
    }
    return out;
  };
  // Everything the CLI printed, the provider's own stderr included.
  let transcript = "";
  const o = { onOutput: (t: string) => (transcript += t) };
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login");
  const storeTokens = () => h.running.emulator.store.data.tokens;

  beforeAll(async () => {
    project = await e2eProject();
    spec = {
      ci: { name: "ci-pipeline", ipAllowlist: ["10.0.0.1/32", "10.0.0.1"] },
      backup: { name: "nightly-backup", userName: "svc-backup", ipAllowlist: ["192.0.2.0/24", "2001:db8::/48"] },
      reports: { name: "reports", scope: "Custom", apiEndpoints: ["/v4/report", "/client"], userId: 22 },
      scim: { name: "azure-scim", scope: "MicrosoftSCIM", expiresAt: iso(soon + 30 * DAY) },
      recovery: { name: "bmr", scope: "OneTouchRecovery" },
    };
    stack = await project.newStack("dev", program, {
      "commvault:url": { value: h.running.url },
      "commvault:username": { value: ADMIN.username },
      "commvault:password": { value: ADMIN.password, secret: true },
    });
  });

  test("1. up creates tokens of every kind, a service account's with an allow list among them", async () => {
    const res = await stack.up(o);
    expect(res.summary.resourceChanges).toMatchObject({ create: 6 }); // five tokens and the stack
    expect(storeTokens().map((t) => [t.tokenName, t.userId]).sort()).toEqual([
      ["azure-scim", 1], ["bmr", 1], ["ci-pipeline", 1], ["nightly-backup", SVC_BACKUP], ["reports", 22],
    ]);
    const backup = storeTokens().find((t) => t.tokenName === "nightly-backup")!;
    expect(backup.allowedIPs).toEqual(["192.0.2.0/24", "2001:db8::/48"]);
    expect(res.outputs.backupSecret).toEqual({ value: backup.accessToken, secret: true });
    // Outputs the program left to defaults or to the server still come back, normalised.
    expect(res.outputs.ci!.value).toMatchObject({ scope: "All", ipAllowlist: ["10.0.0.1"], userName: "admin", renewableUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(res.outputs.recovery!.value).toMatchObject({ scope: "OneTouchRecovery", ipAllowlist: [], expiresAt: expect.stringMatching(/Z$/) });
  });

  test("2. a second preview reports no changes", async () => {
    const res = await stack.preview({ expectNoChanges: true, ...o });
    expect(res.changeSummary).toEqual({ same: 6 });
  });

  test("3. rename, extend and a new allow list: one PUT per changed token, no replacement, ids unchanged", async () => {
    const before = await stack.outputs();
    h.running.emulator.log.length = 0;
    spec.ci = { ...spec.ci, name: "ci-pipeline-v2" };
    spec.backup = { ...spec.backup, renewableUntil: iso(soon + 200 * DAY) };
    spec.reports = { ...spec.reports, ipAllowlist: ["198.51.100.7"] };
    const res = await stack.up(o);
    expect(res.summary.resourceChanges).toEqual({ same: 3, update: 3 });
    const after = res.outputs;
    for (const k of ["ci", "backup", "reports"]) expect((after[k]!.value as { id: string }).id).toBe((before[k]!.value as { id: string }).id);
    const put = writes().map((e) => `${e.method} ${e.path}`).sort();
    const ids = ["ci", "backup", "reports"].map((k) => (before[k]!.value as { tokenId: number }).tokenId).sort();
    expect(put).toEqual(ids.map((id) => `PUT /v4/accesstoken/${id}`).sort());
    const bodies = writes().map((e) => e.body);
    expect(bodies).toEqual(expect.arrayContaining([{ tokenName: "ci-pipeline-v2" }, { renewableUntilTimestamp: soon + 200 * DAY }, { allowedIPs: ["198.51.100.7"] }]));
  });

  test("4. a forbidden scope change fails the preview with the refusal, and nothing changes", async () => {
    const storeBefore = JSON.stringify(storeTokens());
    h.running.emulator.log.length = 0;
    const saved = spec.scim;
    spec.scim = { ...spec.scim, scope: "All", expiresAt: undefined };
    try {
      const err = await stack.preview(o).then(() => undefined, (e: Error) => e);
      expect(err).toBeDefined();
      expect(String(err!.message)).toMatch(/scope cannot change from "MicrosoftSCIM" to "All".*replaceOnForbiddenScopeChange: true/s);
    } finally {
      spec.scim = saved;
    }
    expect(writes()).toEqual([]);
    expect(JSON.stringify(storeTokens())).toBe(storeBefore);
  });

  test("5. drift by hand shows in preview --refresh and up --refresh restores it; a deleted token comes back", async () => {
    const session = await h.api.login(ADMIN.username, ADMIN.password);
    const ci = storeTokens().find((t) => t.tokenName === "ci-pipeline-v2")!;
    await h.api.call("PUT", `/V4/AccessToken/${ci.accessTokenId}`, { token: session, body: { tokenName: "edited-in-command-center", allowedIPs: [] } });
    // A busy server during the refresh: the provider retries and says so in the run's output.
    await h.api.ctl("POST", "faults", { kind: "status", status: 429, retryAfter: 1, count: 1, method: "GET", path: "/v4/accesstoken" });
    const preview = await stack.preview({ refresh: true, ...o });
    expect(preview.changeSummary.update).toBe(1);
    await stack.up({ refresh: true, ...o });
    expect(storeTokens().find((t) => t.accessTokenId === ci.accessTokenId)).toMatchObject({ tokenName: "ci-pipeline-v2", allowedIPs: ["10.0.0.1"] });

    const bmr = storeTokens().find((t) => t.tokenName === "bmr")!;
    await h.api.call("DELETE", `/V4/AccessToken/${bmr.accessTokenId}`, { token: session });
    await stack.refresh(o);
    const res = await stack.up(o);
    expect(res.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(storeTokens().filter((t) => t.tokenName === "bmr")).toHaveLength(1);
  });

  test("6. neither state nor anything the runs printed holds an access token, refresh token, session token or password; __provider is under 1 KB", async () => {
    const state = stateFile(project.stateDir, "e2e", "dev");
    const data = h.running.emulator.store.data;
    const secrets = [
      ADMIN.password,
      Buffer.from(ADMIN.password).toString("base64"),
      ...data.sessions.map((s) => s.token),
      ...data.tokens.flatMap((t) => [t.accessToken, t.refreshToken, ...t.chain.flatMap((p) => [p.accessToken, p.refreshToken])]),
    ].filter((s): s is string => typeof s === "string");
    expect(secrets.length).toBeGreaterThan(8);
    for (const s of secrets) expect(state).not.toContain(s);
    // Nor in anything the runs printed, retry notices included.
    expect(transcript).toMatch(/commvault: list access tokens of user \d+ failed \(HTTP 429\); retry 1 in 1000 ms/);
    for (const s of secrets) expect(transcript).not.toContain(s);
    const deployment = JSON.parse(state) as { checkpoint: { latest: { resources: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; additionalSecretOutputs?: string[] }[] } } };
    const tokens = deployment.checkpoint.latest.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/commvault:AccessToken");
    expect(tokens).toHaveLength(5);
    for (const r of tokens) {
      for (const p of [r.inputs!.__provider, r.outputs!.__provider]) {
        expect(typeof p).toBe("string");
        expect(Buffer.byteLength(p as string)).toBeLessThan(1024);
      }
      // The two secrets are one secret value (provider/lifecycle/dynamic-door.ts), never plain,
      // sealed by the provider itself: no additionalSecretOutputs stored with each token.
      expect(r.outputs!.__secrets).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: expect.any(String) });
      expect(r.additionalSecretOutputs).toBeUndefined();
      expect(r.outputs!.accessToken).toBeUndefined();
    }
  });

  test("7. after an upgrade of the installed package, refresh and destroy run the new code; destroy removes every token", async () => {
    // An "upgrade": the installed provider now records each read and delete it serves.
    const marker = path.join(project.dir, "upgrade-marker.log");
    const shim = path.join(project.dir, "node_modules/pulumi-commvault-tokens/provider.js");
    fs.writeFileSync(shim, `"use strict";
const fs = require("fs");
const base = require("./dist/provider/index.js").provider;
module.exports = {
  ...base,
  read: (id, props) => { fs.appendFileSync(${JSON.stringify(marker)}, "read " + id + "\\n"); return base.read(id, props); },
  delete: (id, props) => { fs.appendFileSync(${JSON.stringify(marker)}, "delete " + id + "\\n"); return base.delete(id, props); },
};
`);
    await stack.refresh(o);
    const res = await stack.destroy(o);
    const served = fs.readFileSync(marker, "utf8").trim().split("\n");
    expect(served.filter((l) => l.startsWith("read "))).toHaveLength(5);
    expect(served.filter((l) => l.startsWith("delete "))).toHaveLength(5);
    expect(res.summary.resourceChanges).toMatchObject({ delete: 6 });
    expect(storeTokens()).toEqual([]);
  });
});
