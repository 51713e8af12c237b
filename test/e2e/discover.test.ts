import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { ADMIN, ALICE, SVC_BACKUP, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

const run = promisify(execFile);

const PULUMI_YAML = "name: adopted\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n";
const TSCONFIG = fs.readFileSync(path.join(ROOT, "examples/backup-service-account/tsconfig.json"), "utf8");
const PACKAGE_JSON = JSON.stringify({ name: "adopted", private: true, main: "index.ts" });

interface Exported {
  deployment: { resources: { type: string; urn: string; outputs?: Record<string, unknown> }[] };
}

/**
 * Issue 9 items 1 and 2 under the plain `pulumi` CLI: tokens made by hand (by an administrator for
 * itself in every scope and for service accounts, and by an end user for herself), `discover` run
 * from the installed package's bin as a user runs it, then `pulumi up` takes every token over with
 * no write, and nothing changes afterwards, with or without `adopt`.
 */
describe("end to end: discover writes a program that adopts every token with no write", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const store = () => h.running.emulator.store.data;
  /** Token writes (create, modify, delete) since `mark`; lists, logins and logouts aside. */
  let mark = 0;
  const markLog = () => (mark = h.running.emulator.log.length);
  const writes = () => h.running.emulator.log.slice(mark).filter((e) => e.method !== "GET" && /^\/v4\/accesstoken/i.test(e.path)).map((e) => `${e.method} ${e.path}`);
  const secrets = () => store().tokens.flatMap((t) => [t.accessToken, t.refreshToken ?? ""]).filter((s) => s !== "");
  const discover = (args: string[], env: NodeJS.ProcessEnv) =>
    run("npx", ["--no-install", "pulumi-commvault-tokens", "discover", ...args], { cwd: dir, env: { ...cli.env, ...env }, maxBuffer: 16 << 20 });
  const asAdmin = { COMMVAULT_URL: "", COMMVAULT_USERNAME: ADMIN.username, COMMVAULT_PASSWORD: ADMIN.password };

  beforeAll(async () => {
    const byHand = async (session: string, body: Record<string, unknown>) => {
      const r = await h.api.create(session, body);
      if (r.status !== 200) throw new Error(`seed ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    // The administrator's own, one of every scope, most with allow lists written loosely.
    await byHand(h.admin, { tokenName: "CI pipeline", allowedIPs: ["10.0.0.1/32", "10.1.2.3/8", "2001:DB8::1"] });
    await byHand(h.admin, { tokenName: "reports", tokenType: 3, apiEndpoints: ["/job", "/client"], allowedIPs: ["192.168.10.0/24"] });
    await byHand(h.admin, { tokenName: "hyperscale", tokenType: 5 });
    await byHand(h.admin, { tokenName: "entra-scim", tokenType: 1, allowedIPs: ["20.190.128.0/18"] });
    await byHand(h.admin, { tokenName: "bmr", tokenType: 4 });
    // Service accounts' tokens, made by the administrator.
    await byHand(h.admin, { tokenName: "nightly-backup", userId: SVC_BACKUP, allowedIPs: ["10.20.0.0/16"] });
    await byHand(h.admin, { tokenName: "reports", userId: SVC_REPORTING, tokenType: 3, apiEndpoints: ["/report"] });
    // An end user's own, made by herself.
    await byHand(h.alice, { tokenName: "alice laptop", allowedIPs: ["203.0.113.7"] });
    expect(store().tokens).toHaveLength(8);

    cli = plainCli();
    dir = cli.program({ "Pulumi.yaml": PULUMI_YAML, "tsconfig.json": TSCONFIG, "package.json": PACKAGE_JSON });
    asAdmin.COMMVAULT_URL = h.running.url;
  });

  test("discover lists every user's tokens with a progress line and writes index.ts, with no secret and no write", async () => {
    markLog();
    const { stderr } = await discover([], asAdmin);
    expect(stderr).toContain("listing tokens of admin (1/4)... 5 found\n");
    expect(stderr).toContain("listing tokens of alice (2/4)... 1 found\n");
    expect(stderr).toContain("listing tokens of svc-backup (3/4)... 1 found\n");
    expect(stderr).toContain("listing tokens of svc-reporting (4/4)... 1 found\n");
    expect(stderr).toMatch(/wrote index\.ts: 8 access tokens of 4 users/);
    expect(writes()).toEqual([]);
    const program = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    for (const t of store().tokens) expect(program).toContain(`adopt: { tokenId: ${t.accessTokenId} },`);
    expect(program).toContain('const adminCiPipelineToken = new AccessToken("admin-ci-pipeline", {');
    expect(program).toContain('ipAllowlist: ["10.0.0.0/8", "10.0.0.1", "2001:db8::1"],');
    expect(program).toContain('apiEndpoints: ["/client", "/job"],');
    expect(program).toContain('scope: "OneTouchRecovery",');
    expect(program).toContain(`userId: ${ALICE.userId}, // alice`);
    expect(program).toContain('new AccessToken("svc-reporting-reports", {');
    expect(program).not.toMatch(/renewableUntil|expiresAt/);
    for (const s of [...secrets(), ADMIN.password]) expect(program + stderr).not.toContain(s);
    // An existing program is never overwritten by accident.
    const again = await discover([], asAdmin).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringContaining("index.ts exists; use --force") });
  });

  test("as an end user: only her own tokens, and a note says why", async () => {
    const { stdout, stderr } = await discover(["--out", "-", "--server", "dr"], { ...asAdmin, COMMVAULT_USERNAME: ALICE.username, COMMVAULT_PASSWORD: ALICE.password });
    expect(stderr).toContain("listing tokens of alice (1/4)... 1 found\n");
    expect(stderr).toContain("listing tokens of admin (2/4)... not permitted\n");
    expect(stdout).toContain("// Left out: the tokens of other users: alice is not an administrator");
    expect(stdout.match(/new AccessToken\(/g)).toHaveLength(1);
    expect(stdout).toContain('server: "dr",');
  });

  test("a password missing from the environment fails with the variable to set, before any call", async () => {
    const r = await discover(["--out", "-"], { ...asAdmin, COMMVAULT_PASSWORD: "" }).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/environment only.*COMMVAULT_PASSWORD/) });
  });

  test("pulumi up adopts every token with no create, modify or delete; the refresh gate then passes", async () => {
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    markLog();
    const up = ok(await pulumi("up", "--yes"));
    expect(up).toMatch(/9 created/); // the stack and 8 tokens
    expect(writes()).toEqual([]);
    expect(store().tokens).toHaveLength(8);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    const exported = ok(await pulumi("stack", "export"));
    for (const s of secrets()) expect(exported).not.toContain(s);
    const tokens = (JSON.parse(exported) as Exported).deployment.resources.filter((r) => r.type.endsWith("commvault:AccessToken"));
    expect(tokens).toHaveLength(8);
    for (const r of tokens) expect(r.outputs).toMatchObject({ secretKnown: false });
    for (const r of tokens) expect(r.outputs!.accessToken).toBeUndefined();
    expect(writes()).toEqual([]);
  });

  test("removing adopt from the program changes nothing", async () => {
    const file = path.join(dir, "index.ts");
    const program = fs.readFileSync(file, "utf8");
    const without = program.replace(/^ {2}adopt: \{ tokenId: \d+ \},\n/gm, "");
    expect(without).not.toMatch(/adopt: \{ tokenId: \d/);
    fs.writeFileSync(file, without);
    markLog();
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    ok(await pulumi("up", "--yes"));
    expect(writes()).toEqual([]);
  });

  test("adopting a token that is not there is refused at preview, before any write", async () => {
    const file = path.join(dir, "index.ts");
    const program = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, `${program}\nnew AccessToken("ghost", { name: "ghost", adopt: { tokenId: 999 } });\n`);
    markLog();
    const r = await pulumi("preview");
    fs.writeFileSync(file, program);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/adopt\.tokenId: user admin \(id 1\) has no access token with id 999/);
    expect(writes()).toEqual([]);
  });

  test("opts.import on an AccessToken fails with a pointer to adopt", async () => {
    const file = path.join(dir, "index.ts");
    const program = fs.readFileSync(file, "utf8");
    const id = store().tokens[0]!.accessTokenId;
    fs.writeFileSync(file, `${program}\nnew AccessToken("imported", { name: "imported" }, { import: "1:${id}" });\n`);
    const r = await pulumi("preview");
    fs.writeFileSync(file, program);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/the import option does not work for this resource.*use adopt: \{ tokenId: <id> \} instead/);
  });

  test("destroy revokes what was adopted", async () => {
    ok(await pulumi("destroy", "--yes"));
    expect(store().tokens).toEqual([]);
  });
});

/** examples/adopt-existing: its README's steps, against the emulator. */
describe("end to end: examples/adopt-existing", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const store = () => h.running.emulator.store.data;
  const idOf = (name: string) => store().tokens.find((t) => t.tokenName === name)?.accessTokenId;

  beforeAll(async () => {
    cli = plainCli();
    const example = path.join(ROOT, "examples/adopt-existing");
    const files = Object.fromEntries(fs.readdirSync(path.join(example, "program")).map((f) => [f, fs.readFileSync(path.join(example, "program", f), "utf8")]));
    dir = cli.program(files);
    const env = { ...cli.env, COMMVAULT_URL: h.running.url, COMMVAULT_USERNAME: ADMIN.username, COMMVAULT_PASSWORD: ADMIN.password };
    const made = await run(process.execPath, [path.join(example, "make-by-hand.js")], { env });
    expect(made.stdout).toMatch(/made "ci-pipeline" \(id \d+\) of user 1\nmade "nightly-backup" \(id \d+\) of user 21\n/);
  });

  test("up takes both over: no write for the one kept as it is; a rename aside and one create for the one rotated", async () => {
    const backupId = idOf("nightly-backup")!;
    const ciId = idOf("ci-pipeline")!;
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    const mark = h.running.emulator.log.length;
    ok(await pulumi("up", "--yes"));
    const writes = h.running.emulator.log.slice(mark).filter((e) => e.method !== "GET" && /^\/v4\/accesstoken/i.test(e.path)).map((e) => `${e.method} ${e.path}`);
    expect(writes).toEqual([`PUT /v4/accesstoken/${ciId}`, "POST /v4/accesstoken"]);
    expect(idOf("nightly-backup")).toBe(backupId);
    expect(idOf("ci-pipeline~g1")).toBe(ciId);
    const outputs = JSON.parse(ok(await pulumi("stack", "output", "--json", "--show-secrets"))) as Record<string, unknown>;
    const fresh = store().tokens.find((t) => t.tokenName === "ci-pipeline")!;
    expect(outputs).toMatchObject({ backupTokenId: backupId, backupSecretKnown: false, ciTokenId: fresh.accessTokenId, ciSecret: fresh.accessToken, ciPrevious: { tokenId: ciId, name: "ci-pipeline~g1" } });
    expect(outputs.svcBackupTokens).toEqual(["nightly-backup"]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    // destroy revokes both, and the hand-made token kept aside for the overlap with them.
    ok(await pulumi("destroy", "--yes"));
    expect(store().tokens).toEqual([]);
  });
});
