import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";

jest.setTimeout(300_000);

const PROGRAM = `"use strict";
const { AccessToken } = require("pulumi-commvault-tokens");
new AccessToken("ci", { name: "ci", ipAllowlist: ["10.0.0.0/8"], renewableUntil: "2027-06-30T00:00:00Z" });
new AccessToken("backup", { name: "backup", userName: "svc-backup", renewableFor: "90d" });
new AccessToken("reports", { name: "reports", scope: "Custom", apiEndpoints: ["/client"] });
`;

/** Lines of a CLI transcript that mark a changed field: `~ name: "a" => "b"` and the like. */
const markers = (out: string) => out.split("\n").filter((l) => l.includes("=>")).map((l) => l.replace(/\s+/g, " ").trim());

/**
 * Issue 10, item 1, under the plain CLI: each field changed by hand in Command Center appears in
 * the token's update as `old => new`, after `preview --refresh` and after a plain `refresh`,
 * and nothing else does; `up --refresh` puts the program's values back.
 */
describe("end to end: drift that says what changed", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, { COMMVAULT_TOKENS_NOW: "2026-12-01T00:00:00Z" });
  const tokenId = (name: string) => h.running.emulator.store.data.tokens.find((t) => t.tokenName === name)!.accessTokenId;

  beforeAll(async () => {
    h.running.emulator.clock.set(Date.parse("2026-12-01T00:00:00Z") / 1000);
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: drift\nruntime: nodejs\n" });
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("up", "--yes", "--skip-preview"));
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("a rename, an opened allow list, a moved date and new endpoints show as old => new in the update, and only those", async () => {
    const admin = await h.api.login(ADMIN.username, ADMIN.password);
    const put = (name: string, body: unknown) => h.api.call("PUT", `/V4/AccessToken/${tokenId(name)}`, { token: admin, body });
    await put("ci", { tokenName: "ci-by-hand", allowedIPs: ["0.0.0.0/0"], renewableUntilTimestamp: Date.parse("2027-01-31T00:00:00Z") / 1000 });
    await put("reports", { apiEndpoints: ["/client", "/v4/servergroup"] });

    const r = await pulumi("preview", "--refresh", "--diff", "--expect-no-changes");
    expect(r.code).toBe(7);
    // The refresh section shows what changed on the server (state => server), the update what
    // `up` will do about it (server => program); nothing else is marked.
    const fields: [string, string, string][] = [
      ["name :", '"ci"', '"ci-by-hand"'],
      ["[0]:", '"10.0.0.0/8"', '"0.0.0.0/0"'],
      ["renewableUntil :", '"2027-06-30T00:00:00Z"', '"2027-01-31T00:00:00Z"'],
    ];
    const both = fields.flatMap(([k, a, b]) => [`~ ${k} ${a} => ${b}`, `~ ${k} ${b} => ${a}`]);
    expect([...new Set(markers(r.stdout))].sort()).toEqual(both.sort());
    expect(r.stdout).toMatch(/\[1\]: "\/v4\/servergroup"/);
  });

  test("after a plain `pulumi refresh --yes`, the preview still shows the same markers and the gate still fails", async () => {
    ok(await pulumi("refresh", "--yes"));
    const r = await pulumi("preview", "--diff", "--expect-no-changes");
    expect(r.code).toBe(7);
    expect(markers(r.stdout)).toEqual(expect.arrayContaining(['~ name : "ci-by-hand" => "ci"', '~ renewableUntil : "2027-01-31T00:00:00Z" => "2027-06-30T00:00:00Z"']));
  });

  test("up puts the program's values back, and the gate passes again", async () => {
    ok(await pulumi("up", "--yes", "--skip-preview"));
    const ci = h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === tokenId("ci"))!;
    expect(ci).toMatchObject({ tokenName: "ci", allowedIPs: ["10.0.0.0/8"], renewableUntilTimestamp: Date.parse("2027-06-30T00:00:00Z") / 1000 });
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });
});
