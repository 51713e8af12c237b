import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { EXAMPLE, STARTER, exampleFiles, mustPass, out, pgBin, pipeline, pipelineEnv, postgresDir, stopPostgres } from "../helpers/gitops";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

const TOKENS = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "tokens.json"), "utf8")) as Record<string, Record<string, unknown>>;
const NAMES = Object.values(TOKENS).map((t) => t.name as string).sort();

beforeAll(() => {
  execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
});

/**
 * Issue 10 items 3 and 4: examples/gitops/pipeline.sh, the portable twin of the GitHub Actions
 * workflow, through its stages against the emulator, with its state in PostgreSQL.
 */
describe("end to end: the GitOps pipeline's stages (pr, merge, nightly) with the script's own PostgreSQL", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  let pgdir: string;
  let env: NodeJS.ProcessEnv;
  const store = () => h.running.emulator.store.data;
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && /\/v4\/accesstoken/i.test(e.path)).length;
  const writeTokens = (tokens: object) => fs.writeFileSync(path.join(dir, "tokens.json"), JSON.stringify(tokens, null, 2));

  beforeAll(() => {
    cli = plainCli("gitops-test-passphrase");
    dir = cli.program(exampleFiles());
    pgdir = postgresDir();
    // No PULUMI_BACKEND_URL: the script starts a PostgreSQL server of its own, in PULUMI_POSTGRES_DIR.
    env = pipelineEnv(cli, h, { PULUMI_POSTGRES_DIR: pgdir });
  });
  afterAll(() => stopPostgres(pgdir));

  test("pr: a preview with the diff and the policy pack, advisory warnings only; nothing is written; the script's PostgreSQL is stopped after it", async () => {
    const r = await pipeline(dir, "pr", env);
    const o = mustPass(r);
    for (const name of Object.keys(TOKENS)) expect(o).toMatch(new RegExp(`\\+ pulumi-nodejs:dynamic/commvault:AccessToken: \\(create\\)[\\s\\S]*?\\[urn=[^\\]]*::${name}\\]`));
    expect(o).toMatch(/commvault-tokens@v0\.1\.0/);
    expect(o).toMatch(/\[advisory\]\s+prefer-custom-scope\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: ops-automation\)/);
    expect(o).not.toMatch(/\[mandatory\]/);
    expect(o).toMatch(/pipeline: stage pr, stack dev, state in postgres:\/\/127\.0\.0\.1:\d+\/pulumi\n/);
    expect(store().tokens).toEqual([]);
    expect(fs.readFileSync(path.join(pgdir, "password"), "utf8").length).toBeGreaterThan(20);
    expect(o).not.toContain(fs.readFileSync(path.join(pgdir, "password"), "utf8"));
    // The run started the server and stopped it at its end; the state stays in the folder.
    expect(() => execFileSync("bash", [STARTER, "url", pgdir], { stdio: "ignore" })).toThrow();
  });

  test("merge: up creates every token; nightly: the gate passes (exit 0)", async () => {
    expect(mustPass(await pipeline(dir, "merge", env))).toMatch(/\+ 5 created/); // the stack and its four tokens
    expect(store().tokens.map((t) => t.tokenName).sort()).toEqual(NAMES);
    const gate = await pipeline(dir, "nightly", env);
    expect(gate.code).toBe(0);
    expect(gate.stdout).toMatch(/pipeline: no drift/);
  });

  test("nightly: a hand change on the server fails the gate with exit 7; merge puts it back; the gate passes again", async () => {
    store().tokens.find((t) => t.tokenName === "reporting-export")!.allowedIPs = ["0.0.0.0/0"];
    const drift = await pipeline(dir, "nightly", env);
    expect(drift.code).toBe(7);
    expect(drift.stdout).toMatch(/ipAllowlist/);
    expect(drift.stdout).toMatch(/pipeline: DRIFT \(exit 7\)/);

    mustPass(await pipeline(dir, "merge", env));
    expect(store().tokens.find((t) => t.tokenName === "reporting-export")!.allowedIPs).toEqual(["10.30.0.0/16"]);
    const gate = await pipeline(dir, "nightly", env);
    expect(gate.code).toBe(0);
  });

  test("pr: a forbidden scope change shows the provider's refusal and fails (exit 1); nothing is written", async () => {
    const before = writes();
    writeTokens({ ...TOKENS, "entra-scim": { name: "entra-scim", scope: "All", ipAllowlist: ["10.50.0.0/16"], rotation: { everyDays: 30 } } });
    const r = await pipeline(dir, "pr", env);
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(/scope cannot change from "MicrosoftSCIM" to "All"/);
    expect(out(r)).toMatch(/set replaceOnForbiddenScopeChange: true/);
    expect(writes()).toBe(before);
  });

  test("pr: a policy violation fails (exit 1) with the rule and the fix; nothing is written", async () => {
    const before = writes();
    writeTokens({ ...TOKENS, "backup-weekly": { name: "backup-weekly", userName: "svc-backup", scope: "Custom", apiEndpoints: ["/job"] } });
    const r = await pipeline(dir, "pr", env);
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(/\[mandatory\]\s+service-account-token-has-allowlist\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: backup-weekly\)/);
    expect(out(r)).toMatch(/set ipAllowlist to the networks its consumer runs in/);
    expect(writes()).toBe(before);
    writeTokens(TOKENS);
  });

  test("the workflow runs the script's commands, word for word, in GitHub Actions syntax; the script is executable", () => {
    fs.accessSync(path.join(EXAMPLE, "pipeline.sh"), fs.constants.X_OK);
    const yaml = require("js-yaml") as { load(text: string): unknown };
    const workflowText = fs.readFileSync(path.join(EXAMPLE, "github-actions.yml"), "utf8");
    const workflow = yaml.load(workflowText) as { on: Record<string, unknown>; jobs: Record<string, { steps: { run?: string }[] }> };
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
    const script = fs.readFileSync(path.join(EXAMPLE, "pipeline.sh"), "utf8");
    const commands = [...script.matchAll(/^\s*(?:locked |gently )?(pulumi (?:stack select|preview|up) .*)$/gm)].map((m) => m[1]!);
    expect(commands).toHaveLength(4);
    const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? "").join("\n");
    expect(runs("pr")).toContain(commands.find((c) => c.startsWith("pulumi preview --diff"))!);
    // The merge job runs the script itself (its gentle stop on cancel, its lock handling), as the
    // process that GitHub signals.
    expect(commands.find((c) => c.startsWith("pulumi up"))).toBeDefined();
    expect(runs("merge")).toMatch(/^exec bash pipeline\.sh merge$/m);
    expect(runs("nightly")).toContain(commands.find((c) => c.includes("--expect-no-changes"))!);
    for (const job of ["pr", "nightly"]) expect(runs(job)).toContain(commands.find((c) => c.startsWith("pulumi stack select"))!);
    // No hosted service: no Pulumi Cloud token and no pulumi/actions.
    expect(workflowText).not.toMatch(/PULUMI_ACCESS_TOKEN|pulumi\/actions|app\.pulumi\.com/);
  });
});

describe("end to end: shared team state in PostgreSQL: two pipeline runs up the same stack at once", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let pgdir: string;
  let env: NodeJS.ProcessEnv;
  let port: string;
  const store = () => h.running.emulator.store.data;
  /** A new checkout of the repository, as each CI runner makes, with `tokens` as tokens.json. */
  const checkout = (tokens: object = TOKENS) => {
    const dir = cli.program(exampleFiles());
    fs.writeFileSync(path.join(dir, "tokens.json"), JSON.stringify(tokens, null, 2));
    return dir;
  };
  const pgPassword = () => fs.readFileSync(path.join(pgdir, "password"), "utf8");
  /** How many locks the stack has in the state database. */
  const locks = () =>
    Number(
      execFileSync(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", port, "-U", "pulumi", "-d", "pulumi", "-qtAX", "-c", "SELECT count(*) FROM pulumi_state WHERE key LIKE '%.pulumi/locks/%'"], {
        env: { ...process.env, PGPASSWORD: pgPassword() },
        encoding: "utf8",
      }).trim(),
    );
  /** The stack's tokens in state, as `pulumi stack export` shows them. */
  async function stateTokens(dir: string): Promise<{ name: string; tokenId: number; userId: number }[]> {
    const r = ok(await cli.pulumi(dir, ["stack", "export", "--stack", "dev"], env));
    const resources = (JSON.parse(r) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } }).deployment.resources;
    return resources
      .filter((x) => x.type === "pulumi-nodejs:dynamic/commvault:AccessToken")
      .map((x) => ({ name: x.outputs!.name as string, tokenId: x.outputs!.tokenId as number, userId: x.outputs!.userId as number }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  /** The server's tokens, in the same form. */
  const serverTokens = () => store().tokens.map((t) => ({ name: t.tokenName, tokenId: t.accessTokenId, userId: t.userId })).sort((a, b) => a.name.localeCompare(b.name));

  beforeAll(() => {
    cli = plainCli("gitops-test-passphrase");
    pgdir = postgresDir();
    // The test starts the shared server itself, as a team's database would be running already.
    const url = execFileSync("bash", [STARTER, "start", pgdir], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 120_000 }).trim().split("\n").pop()!;
    port = /127\.0\.0\.1:(\d+)\//.exec(url)![1]!;
    env = pipelineEnv(cli, h, { PULUMI_BACKEND_URL: url, PGPASSWORD: pgPassword(), LOCK_WAIT_SECONDS: "120" });
  });
  afterAll(() => stopPostgres(pgdir));

  test("the first preview creates the stack in the shared database", async () => {
    mustPass(await pipeline(checkout(), "pr", env));
  });

  test("two merges started together: one waits for the other's lock, both succeed; every token exists once and state agrees with the server", async () => {
    // A slow create keeps the first run inside its lock for a while.
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 4_000, method: "POST", path: "/v4/accesstoken", count: 1 });
    const [a, b] = await Promise.all([pipeline(checkout(), "merge", env), pipeline(checkout(), "merge", env)]);
    mustPass(a);
    mustPass(b);
    const both = [out(a), out(b)];
    expect(both.filter((o) => /pipeline: stack dev is locked by another run; trying again in \d+s/.test(o)).length).toBeGreaterThanOrEqual(1);
    // One run created the tokens; the other, once it had the lock, found nothing to do.
    expect(both.filter((o) => /\+ 5 created/.test(o))).toHaveLength(1); // the stack and its four tokens
    expect(both.filter((o) => /\+ \d+ created/.test(o))).toHaveLength(1);
    expect(store().tokens.map((t) => t.tokenName).sort()).toEqual(NAMES);
    const dir = checkout();
    expect(await stateTokens(dir)).toEqual(serverTokens());
    expect((await pipeline(dir, "nightly", env)).code).toBe(0);
    expect(locks()).toBe(0);
  });

  test("with LOCK_WAIT_SECONDS=0 the second run stops with the lock message (exit 1); the first applies; no token lost or doubled", async () => {
    const next = { ...TOKENS, "backup-weekly": { name: "backup-weekly", userName: "svc-backup", scope: "Custom", apiEndpoints: ["/job"], ipAllowlist: ["10.20.0.0/16"] } };
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 6_000, method: "POST", path: "/v4/accesstoken", count: 1 });
    const noWait = { ...env, LOCK_WAIT_SECONDS: "0" };
    const first = pipeline(checkout(next), "merge", noWait);
    // Start the second run once the first holds the stack's lock.
    const deadline = Date.now() + 120_000;
    while (locks() === 0) {
      if (Date.now() > deadline) throw new Error(`the first run took no lock within 120 s:\n${out(await first)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const second = await pipeline(checkout(next), "merge", noWait);
    expect(second.code).toBe(1);
    expect(out(second)).toMatch(/error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./);
    expect(out(second)).not.toMatch(/trying again/);
    // The lock is this machine's, but its pulumi is alive: it is not taken for a killed run's.
    expect(out(second)).not.toMatch(/removing it with `pulumi cancel --yes`/);
    expect(out(second)).not.toContain(pgPassword());
    expect(mustPass(await first)).toMatch(/\+ 1 created/);
    expect(store().tokens.map((t) => t.tokenName).sort()).toEqual([...NAMES, "backup-weekly"].sort());
    const dir = checkout(next);
    expect(await stateTokens(dir)).toEqual(serverTokens());
    expect((await pipeline(dir, "nightly", env)).code).toBe(0);
    expect(locks()).toBe(0);
  });
});
