import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";

jest.setTimeout(300_000);

const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
const all = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");
const PROJECT = `name: commvault-import
runtime: yaml
plugins:
  providers:
    - name: commvault
      path: ${path.join(ROOT, "plugin/bin")}
`;

/**
 * Issue 15 items 2 and 4 under the plain `pulumi` CLI: a YAML project that finds the plugin by
 * `plugins.providers` (no install), and `pulumi import` of a token made outside Pulumi.
 */
describe("end to end: pulumi import of an existing token, through the plugin", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  let tokenId: number;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, NO_AMBIENT);
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && /accesstoken/i.test(e.path)).length;

  beforeAll(async () => {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
    dir = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "import-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), PROJECT);
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    const made = await h.api.create(h.admin, { tokenName: "legacy", userId: SVC_BACKUP, tokenType: 3, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.1"] });
    tokenId = made.body.tokenInfo.accessTokenId as number;
  });

  test("import takes the token over with no write and prints the YAML to paste; the pasted program previews with no change", async () => {
    const before = writes();
    const out = ok(await pulumi("import", "commvault:index:AccessToken", "legacy", `${SVC_BACKUP}:${tokenId}`, "--yes"));
    expect(writes()).toBe(before);
    const code = out.slice(out.indexOf("resources:"));
    expect(code).toMatch(/type: commvault:AccessToken/);
    for (const line of ["name: legacy", "scope: Custom", `userId: ${SVC_BACKUP}`, "- /client", "- 10.0.0.1"]) expect(code).toContain(line);
    fs.appendFileSync(path.join(dir, "Pulumi.yaml"), `\n${code}`);
    ok(await pulumi("preview", "--expect-no-changes"));
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    expect(writes()).toBe(before);
  });

  test("the state says plainly that the secret is not known, and holds nothing secret-looking", async () => {
    const exported = ok(await pulumi("stack", "export"));
    const state = JSON.parse(exported) as { deployment: { resources: { type: string; outputs: Record<string, unknown> }[] } };
    const legacy = state.deployment.resources.find((r) => r.type === "commvault:index:AccessToken")!;
    expect(legacy.outputs).toMatchObject({ secretKnown: false, tokenId, userId: SVC_BACKUP, userName: "svc-backup", name: "legacy" });
    expect(Object.keys(legacy.outputs)).not.toContain("accessToken");
    expect(Object.keys(legacy.outputs)).not.toContain("refreshToken");
    expect(JSON.stringify(legacy.outputs)).not.toContain("ciphertext");
    const secret = h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === tokenId)!.accessToken;
    expect(exported).not.toContain(secret);
  });

  test("an import fails with a message that says which: a malformed id, a missing token, another user's token, a missing user", async () => {
    const before = writes();
    const cases: [string, RegExp][] = [
      [`${SVC_BACKUP}-${tokenId}`, /"21-\d+" is not an AccessToken id; expected <userId>:<accessTokenId>, e\.g\. 21:104/],
      [`${SVC_BACKUP}:999`, /cannot import 21:999: user svc-backup \(id 21\) has no access token with id 999/],
      [`${ADMIN.userId}:${tokenId}`, new RegExp(`cannot import 1:${tokenId}: access token ${tokenId} \\("legacy"\\) belongs to user svc-backup \\(id 21\\), not to user admin \\(id 1\\); import it as 21:${tokenId}`)],
      [`99:${tokenId}`, /cannot import 99:\d+: userId 99 is not a Commvault user/],
    ];
    for (const [id, message] of cases) {
      const r = await pulumi("import", "commvault:index:AccessToken", `other-${cases.findIndex((c) => c[0] === id)}`, id, "--yes");
      expect([id, r.code]).not.toEqual([id, 0]);
      expect(all(r)).toMatch(message);
    }
    expect(writes()).toBe(before);
  });

  test("unprotected, the imported token is destroyed like any other", async () => {
    ok(await pulumi("state", "unprotect", "--all", "--yes"));
    ok(await pulumi("destroy", "--yes", "--skip-preview"));
    expect(h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === tokenId)).toBeUndefined();
  });
});
