import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, SVC_BACKUP, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { startProxy } from "../helpers/proxy";

jest.setTimeout(300_000);

const PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
for (const [key, args] of Object.entries(spec)) new AccessToken(key, args);
`;

/**
 * Issue 7 and issue 14 (item 2) under the plain \`pulumi\` CLI: a JavaScript program whose tokens
 * are read from spec.json, against the emulator behind a proxy that can turn into a broken one,
 * with the emulator's clock five hours ahead of the provider's.
 */
describe("end to end: a production CommServe's ways, under the plain CLI", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  let broken = false;
  let proxy: { url: string; close: () => Promise<void> };
  const spec: Record<string, Record<string, unknown>> = {};
  const write = () => fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const store = () => h.running.emulator.store.data;
  const posts = () => h.running.emulator.log.filter((e) => e.method === "POST" && e.path === "/v4/accesstoken");
  /** No field line in a diff: nothing changed that someone did not change. */
  const noFieldChanges = (out: string) => expect(out.split("\n").filter((l) => l.includes("=>"))).toEqual([]);

  beforeAll(async () => {
    // The proxy forwards everything, or, when broken, answers token lists with a web server's 404.
    proxy = await startProxy(h.running.url, (req) => (broken && /\/v4\/accesstoken/i.test(req.url ?? "") ? (res) => void res.writeHead(404, { "Content-Type": "text/html" }).end("<html>Not Found</html>") : undefined));
    const url = proxy.url;
    h.running.emulator.clock.set(Math.floor(Date.now() / 1000) + 5 * 3600);
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: real-servers\nruntime: nodejs\n", "spec.json": "{}" });
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });
  afterAll(() => proxy.close());

  test("create (one answer lost), update and replace: each followed by a refresh preview with no field line, createdAt included", async () => {
    Object.assign(spec, {
      mine: { name: "mine" },
      backup: { name: "backup", userName: "svc-backup", ipAllowlist: ["10.0.0.1"] },
      reports: { name: "reports", scope: "Custom", apiEndpoints: ["/client"], userId: SVC_REPORTING },
    });
    write();
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(store().tokens.map((t) => t.tokenName).sort()).toEqual(["backup", "mine", "reports"]);
    noFieldChanges(ok(await pulumi("preview", "--refresh", "--diff", "--expect-no-changes")));

    spec.mine = { name: "mine-2" };
    spec.backup = { ...spec.backup, ipAllowlist: ["10.0.0.2"] };
    write();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    noFieldChanges(ok(await pulumi("preview", "--refresh", "--diff", "--expect-no-changes")));

    spec.reports = { name: "reports", scope: "MicrosoftSCIM", userId: SVC_REPORTING, replaceOnForbiddenScopeChange: true };
    write();
    expect(ok(await pulumi("up", "--yes", "--skip-preview"))).toMatch(/replaced/);
    noFieldChanges(ok(await pulumi("preview", "--refresh", "--diff", "--expect-no-changes")));
  });

  test("a service account renamed in Command Center is no change", async () => {
    store().users.find((u) => u.userId === SVC_BACKUP)!.userName = "svc-backup-renamed";
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("a new configured user keeps the token that names no owner with its owner, and the preview says so", async () => {
    store().users.push({ userId: 2, userName: "admin2", userType: "user", admin: true, enabled: true, userGUID: "g2", password: "admin2-password" });
    ok(await pulumi("config", "set", "commvault:username", "admin2"));
    ok(await pulumi("config", "set", "--secret", "commvault:password", "admin2-password"));
    const out = ok(await pulumi("preview", "--expect-no-changes"));
    expect(out).toMatch(/access token "mine-2" names no owner, so it stays with admin \(user id 1\)/);
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });

  test("a real change of owner is a replacement that succeeds", async () => {
    spec.backup = { ...spec.backup, userName: "svc-reporting" };
    write();
    expect(ok(await pulumi("up", "--yes", "--skip-preview"))).toMatch(/replaced/);
    expect(store().tokens.filter((t) => t.tokenName === "backup").map((t) => t.userId)).toEqual([SVC_REPORTING]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("a token for another person is refused before any write, with the rule", async () => {
    spec.forAlice = { name: "for-alice", userName: "alice" };
    write();
    const before = posts().length;
    const r = await pulumi("up", "--yes", "--skip-preview");
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/nobody creates an access token for another person; that person creates it/);
    expect(posts().length).toBe(before);
    delete spec.forAlice;
    write();
  });

  test("a slow server that commits after the time-out leaves exactly one token, and the stack converges", async () => {
    ok(await pulumi("config", "set", "commvault:timeoutSeconds", "1"));
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 2_500, method: "POST", path: "/v4/accesstoken", count: 1 });
    spec.slow = { name: "slow" };
    write();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(store().tokens.filter((t) => t.tokenName === "slow")).toHaveLength(1);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));

    // Every answer too late: the up fails honestly, and the next up converges with no hand work.
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 1_800, method: "POST", path: "/v4/accesstoken", count: 6 });
    spec.later = { name: "later" };
    write();
    const failed = await pulumi("up", "--yes", "--skip-preview");
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/the next `pulumi up` settles it/);
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(store().tokens.filter((t) => t.tokenName === "later")).toHaveLength(1);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("a proxy's HTML 404 fails the refresh and drops nothing from state", async () => {
    const count = async () => (JSON.parse(ok(await pulumi("stack", "export"))) as { deployment: { resources: unknown[] } }).deployment.resources.length;
    const before = await count();
    broken = true;
    const r = await pulumi("refresh", "--yes");
    broken = false;
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/commvault:url/);
    expect(await count()).toBe(before);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });
});
