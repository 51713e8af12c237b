import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { VERSION } from "../../plugin/server";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";
import { RawApi } from "../helpers/raw-api";

jest.setTimeout(600_000);

/** The DR CommServe's administrator has another password than production's. */
const DR_PASSWORD = "dr-admin-password-kept-secret";

interface Exported {
  deployment: { resources: { type: string; urn: string; outputs?: Record<string, unknown> }[] };
}

/**
 * Issue 9 items 3 and 4 under the plain `pulumi` CLI, with examples/two-commserves as its README
 * runs it: production is the default `commvault:*` settings, disaster recovery the profile
 * `commvault:servers.dr` set with `config set --path` (the password with `--secret`), each an
 * emulator of its own. Tokens on both, an update on one touches only that one, no credential in
 * state or `__provider`, and listAccessTokens shows a token made by hand on the DR server.
 */
describe("end to end: one stack, two CommServes (examples/two-commserves)", () => {
  const h = useEmulator({}, { fresh: false });
  let dr: RunningEmulator;
  let cli: PlainCli;
  let dir: string;
  let handMade: number;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const names = (e: RunningEmulator) => e.emulator.store.data.tokens.map((t) => t.tokenName).sort();
  const marks = new Map<RunningEmulator, number>();
  const mark = () => [h.running, dr].forEach((e) => marks.set(e, e.emulator.log.length));
  const writes = (e: RunningEmulator) => e.emulator.log.slice(marks.get(e)).filter((l) => l.method !== "GET" && /^\/v4\/accesstoken/i.test(l.path)).map((l) => `${l.method} ${l.path}`);
  const outputs = async () => JSON.parse(ok(await pulumi("stack", "output", "--json"))) as Record<string, Record<string, unknown>>;

  beforeAll(async () => {
    dr = await startEmulator({ control: true, passwords: { admin: DR_PASSWORD } });
    const drApi = new RawApi(dr.url);
    const made = await drApi.create(await drApi.login(ADMIN.username, DR_PASSWORD), { tokenName: "legacy-backup", userId: SVC_BACKUP });
    handMade = made.body.tokenInfo.accessTokenId as number;

    cli = plainCli();
    const example = path.join(ROOT, "examples/two-commserves");
    dir = cli.program(Object.fromEntries(fs.readdirSync(example).map((f) => [f, fs.readFileSync(path.join(example, f), "utf8")])));
    ok(await pulumi("stack", "init", "dev"));
    // The README's commands: the default server as today, then the profile.
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("config", "set", "--path", "commvault:servers.dr.url", dr.url));
    ok(await pulumi("config", "set", "--path", "commvault:servers.dr.username", ADMIN.username));
    ok(await pulumi("config", "set", "--path", "--secret", "commvault:servers.dr.password", DR_PASSWORD));
    ok(await pulumi("config", "set", "--path", "two-commserves:networks.dr[0]", "10.50.0.0/16"));
  });
  afterAll(() => dr?.close());

  test("up makes the token on both servers; the list function shows the hand-made one on DR", async () => {
    mark();
    ok(await pulumi("up", "--yes"));
    expect(writes(h.running)).toEqual(["POST /v4/accesstoken"]);
    expect(writes(dr)).toEqual(["POST /v4/accesstoken"]);
    expect(names(h.running)).toEqual(["replication"]);
    expect(names(dr)).toEqual(["legacy-backup", "replication"]);
    expect(dr.emulator.store.data.tokens.find((t) => t.tokenName === "replication")!.allowedIPs).toEqual(["10.50.0.0/16"]);
    expect(h.running.emulator.store.data.tokens[0]!.allowedIPs).toEqual(["10.40.0.0/16"]);
    const out = await outputs();
    const drToken = dr.emulator.store.data.tokens.find((t) => t.tokenName === "replication")!;
    expect(out.tokenIds).toEqual({ default: h.running.emulator.store.data.tokens[0]!.accessTokenId, dr: drToken.accessTokenId });
    expect(out.svcBackupTokens!.dr).toEqual([`legacy-backup (id ${handMade}, All)`, `replication (id ${drToken.accessTokenId}, All)`]);
    expect(out.svcBackupTokens!.default).toEqual([`replication (id ${out.tokenIds!.default}, All)`]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("an update of one server's token touches only that server", async () => {
    ok(await pulumi("config", "set", "--path", "two-commserves:networks.dr[1]", "10.51.0.0/16"));
    mark();
    ok(await pulumi("up", "--yes"));
    const drId = dr.emulator.store.data.tokens.find((t) => t.tokenName === "replication")!.accessTokenId;
    expect(writes(dr)).toEqual([`PUT /v4/accesstoken/${drId}`]);
    expect(writes(h.running)).toEqual([]);

    ok(await pulumi("config", "set", "--path", "two-commserves:networks.default[1]", "10.41.0.0/16"));
    mark();
    ok(await pulumi("up", "--yes"));
    expect(writes(h.running)).toEqual([`PUT /v4/accesstoken/${h.running.emulator.store.data.tokens[0]!.accessTokenId}`]);
    expect(writes(dr)).toEqual([]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("no password, session or token secret in plaintext in state or stack config, and none in __provider", async () => {
    const exported = ok(await pulumi("stack", "export"));
    const config = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
    const secrets = [h.running, dr].flatMap((e) => [
      ...e.emulator.store.data.tokens.flatMap((t) => [t.accessToken, t.refreshToken ?? ""]),
      ...e.emulator.store.data.sessions.map((s) => s.token),
    ]);
    for (const s of [ADMIN.password, DR_PASSWORD, ...secrets.filter((x) => x !== "")]) {
      expect(exported).not.toContain(s);
      expect(config).not.toContain(s);
    }
    expect(config).toMatch(/password:\s*\n?\s*secure:/);
    const tokens = (JSON.parse(exported) as Exported).deployment.resources.filter((r) => r.type.endsWith("commvault:AccessToken"));
    expect(tokens).toHaveLength(2);
    for (const r of tokens) {
      const provider = r.outputs!.__provider as string;
      expect(Buffer.byteLength(provider)).toBeLessThan(1024);
      expect(provider).toContain('require("pulumi-commvault-tokens/provider.js")');
      expect(provider).not.toMatch(/127\.0\.0\.1|password|admin/i);
    }
    expect(tokens.map((r) => r.outputs!.server ?? "default").sort()).toEqual(["default", "dr"]);
  });

  test("destroy revokes both; the hand-made token stays", async () => {
    ok(await pulumi("destroy", "--yes"));
    expect(names(h.running)).toEqual([]);
    expect(names(dr)).toEqual(["legacy-backup"]);
  });
});

const YAML_PROGRAM = `name: two-commserves-yaml
runtime: yaml
config:
  drUrl:
    type: string
  drPassword:
    type: string
    secret: true
resources:
  dr:
    type: pulumi:providers:commvault
    properties:
      url: \${drUrl}
      username: admin
      password: \${drPassword}
  prod:
    type: commvault:AccessToken
    properties:
      name: replication
      userName: svc-backup
  disaster:
    type: commvault:AccessToken
    properties:
      name: replication
      userName: svc-backup
    options:
      provider: \${dr}
variables:
  onDr:
    fn::invoke:
      function: commvault:index:listAccessTokens
      arguments:
        userName: svc-backup
      options:
        provider: \${dr}
      return: tokens
outputs:
  onDr: \${onDr}
`;

/**
 * The same through the plugin door, as YAML and the other languages use it: the default provider
 * for production, an explicit provider resource for DR, and the listAccessTokens invoke on DR.
 */
describe("end to end: two CommServes in a YAML program through the installed plugin", () => {
  const h = useEmulator({}, { fresh: false });
  let dr: RunningEmulator;
  let cli: PlainCli;
  let dir: string;
  const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, NO_AMBIENT);

  beforeAll(async () => {
    dr = await startEmulator({ control: true, passwords: { admin: DR_PASSWORD } });
    const drApi = new RawApi(dr.url);
    await drApi.create(await drApi.login(ADMIN.username, DR_PASSWORD), { tokenName: "legacy-backup", userId: SVC_BACKUP });
    cli = plainCli();
    const tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "plugin-"));
    const tarball = execFileSync("bash", [path.join(ROOT, "scripts/build-plugin.sh"), tmp], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
    ok(await cli.pulumi(tmp, ["plugin", "install", "resource", "commvault", VERSION, "-f", tarball], NO_AMBIENT));
    dir = fs.mkdtempSync(path.join(tmp, "yaml-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML_PROGRAM);
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("config", "set", "drUrl", dr.url));
    ok(await pulumi("config", "set", "--secret", "drPassword", DR_PASSWORD));
  });
  afterAll(() => dr?.close());

  test("a token on each server; the invoke lists DR's tokens, hand-made one included; no password in state", async () => {
    ok(await pulumi("up", "--yes"));
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["replication"]);
    expect(dr.emulator.store.data.tokens.map((t) => t.tokenName).sort()).toEqual(["legacy-backup", "replication"]);
    ok(await pulumi("preview", "--expect-no-changes"));
    const out = JSON.parse(ok(await pulumi("stack", "output", "--json"))) as { onDr: { name: string; userId: number }[] };
    expect(out.onDr.map((t) => t.name)).toContain("legacy-backup");
    expect(out.onDr.every((t) => t.userId === SVC_BACKUP)).toBe(true);
    const exported = ok(await pulumi("stack", "export"));
    for (const s of [ADMIN.password, DR_PASSWORD, ...[h.running, dr].flatMap((e) => e.emulator.store.data.tokens.map((t) => t.accessToken))]) expect(exported).not.toContain(s);
    ok(await pulumi("destroy", "--yes"));
    expect(dr.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["legacy-backup"]);
  });
});
