import { execFile, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { ADMIN, SVC_BACKUP, SVC_REPORTING } from "../helpers/emulator";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";

jest.setTimeout(900_000);

const EXAMPLE = path.join(ROOT, "examples", "fleet");
const STARTER = path.join(ROOT, "scripts", "postgres.sh");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");
const OWNERS: Record<string, number> = { "svc-backup": SVC_BACKUP, "svc-reporting": SVC_REPORTING };

type Tokens = Record<string, Record<string, { name: string; userName: string; scope: string; apiEndpoints: string[]; ipAllowlist: string[] }>>;

/** `count` tokens on each CommServe, owned in turn by the two service accounts. */
function fleetTokens(commserves: string[], count: number): Tokens {
  return Object.fromEntries(
    commserves.map((cs, i) => [
      cs,
      Object.fromEntries(
        Array.from({ length: count }, (_, k) => {
          const name = `t${String(k).padStart(2, "0")}`;
          return [name, { name, userName: k % 2 ? "svc-reporting" : "svc-backup", scope: "Custom", apiEndpoints: ["/job"], ipAllowlist: [`10.${i + 1}.0.0/16`] }];
        }),
      ),
    ]),
  );
}

/** A copy of examples/fleet as a user lays it out: the runner, the program, this test's tokens.yaml; no stack of the example's own. */
function fleetCopy(cli: PlainCli, tokens: Tokens): string {
  const modules = fs.readlinkSync(path.join(cli.program({}), "node_modules"));
  // The program and the runner read tokens.yaml with the `yaml` package, as the example's package.json installs it.
  if (!fs.existsSync(path.join(modules, "yaml"))) fs.symlinkSync(path.join(ROOT, "node_modules", "yaml"), path.join(modules, "yaml"), "dir");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-fleet-"));
  fs.cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/^Pulumi\.[^.]+\.yaml$|^node_modules$/.test(path.basename(src)) });
  fs.symlinkSync(modules, path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, "tokens.yaml"), stringify(tokens));
  return dir;
}

/** One stack per CommServe, made as the example's README says: stack init, then its config (the password as a secret). */
async function addStack(cli: PlainCli, dir: string, cs: string, url: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const program = path.join(dir, "program");
  ok(await cli.pulumi(program, ["stack", "init", cs], env));
  const p = `commvault:servers.${cs}`;
  ok(
    await cli.pulumi(
      program,
      ["config", "set-all", "--stack", cs, "--path", "--plaintext", `fleet:commserve=${cs}`, "--plaintext", `${p}.url=${url}`, "--plaintext", `${p}.username=${ADMIN.username}`, "--secret", `${p}.password=${ADMIN.password}`],
      env,
    ),
  );
}

interface Runner {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** The runner, as `npm run fleet -- <args>` runs it; never throws on a non-zero exit. */
function fleet(cli: PlainCli, dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Runner {
  let child!: ChildProcess;
  const done = new Promise<CliResult>((resolve) => {
    child = execFile("node", ["-r", TS_NODE, "fleet.ts", ...args], { cwd: dir, env: { ...cli.env, ...env }, maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

/** The summary's row of one stack, as cells. */
function row(r: CliResult, stack: string): { created: number; updated: number; replaced: number; deleted: number; drifted: string; failed: string; why: string } {
  const line = r.stdout.split("\n").find((l) => l.startsWith(`${stack} `) || l === stack);
  if (!line) throw new Error(`no summary row for ${stack} in:\n${r.stdout}\n${r.stderr}`);
  const [, created, updated, replaced, deleted, drifted, failed, , ...why] = line.split(/\s+/);
  return { created: Number(created), updated: Number(updated), replaced: Number(replaced), deleted: Number(deleted), drifted: drifted!, failed: failed!, why: why.join(" ") };
}

/** What the data file declares for one CommServe, as the server lists it: owner and name. */
const declared = (tokens: Tokens, cs: string) => Object.values(tokens[cs]!).map((t) => `${OWNERS[t.userName]}:${t.name}`).sort();
const onServer = (e: RunningEmulator) => e.emulator.store.data.tokens.map((t) => `${t.userId}:${t.tokenName}`).sort();

/** Lock files of the file backend: any left after a run is a stack nobody can update without `pulumi cancel`. */
function fileLocks(cli: PlainCli): string[] {
  const root = path.join(new URL(cli.env.PULUMI_BACKEND_URL!).pathname, ".pulumi", "locks");
  return fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(".json")) : [];
}

/**
 * Issue 22 items 3 and 4: examples/fleet's runner over five CommServes (emulators) of 40 tokens
 * each, one stack per CommServe, under the plain CLI; one CommServe down for the first run.
 */
describe("end to end: the fleet runner, 5 CommServes × 40 tokens, one of them down for the first run", () => {
  const CS = ["cs1", "cs2", "cs3", "cs4", "cs5"];
  const TOKENS = fleetTokens(CS, 40);
  const servers: RunningEmulator[] = [];
  let downPort: number;
  let cli: PlainCli;
  let dir: string;

  beforeAll(async () => {
    for (let i = 0; i < CS.length; i++) servers.push(await startEmulator({ control: true }));
    // cs5 is down: its port is known and refuses connections.
    downPort = servers[4]!.port;
    await servers[4]!.close();
    cli = plainCli("fleet-test-passphrase");
    dir = fleetCopy(cli, TOKENS);
    for (let i = 0; i < CS.length; i++) await addStack(cli, dir, CS[i]!, servers[i]!.url);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  test("list: the layout is checked and names every stack", async () => {
    const r = await fleet(cli, dir, ["list", "--json"]).done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(CS);
  });

  test("up with cs5 down: four stacks converge, cs5 fails alone with why (exit 1); no lock is left", async () => {
    const r = await fleet(cli, dir, ["up", "--parallel", "3"]).done;
    expect(r.code).toBe(1);
    for (const cs of CS.slice(0, 4)) {
      expect(row(r, cs)).toMatchObject({ created: 40, updated: 0, replaced: 0, failed: "no" });
      expect(r.stdout).toMatch(new RegExp(`^\\[${cs}\\] create t39$`, "m"));
    }
    const down = row(r, "cs5");
    expect(down).toMatchObject({ created: 0, failed: "yes" });
    expect(down.why).toMatch(/log in as "admin" failed: no answer from the server \(ECONNREFUSED/);
    expect(r.stdout).toMatch(/fleet: 1 of 5 stacks failed: cs5 \(exit 1\)/);
    for (let i = 0; i < 4; i++) expect(onServer(servers[i]!)).toEqual(declared(TOKENS, CS[i]!));
    expect(r.stdout + r.stderr).not.toContain(ADMIN.password);
    expect(fileLocks(cli)).toEqual([]);
  });

  test("cs5 back: a second up converges it and changes nothing elsewhere (exit 0); every store is the data file, nothing doubled or lost", async () => {
    servers[4] = await startEmulator({ control: true, port: downPort });
    const r = await fleet(cli, dir, ["up", "--parallel", "3"]).done;
    expect(r.code).toBe(0);
    expect(row(r, "cs5")).toMatchObject({ created: 40, failed: "no" });
    for (const cs of CS.slice(0, 4)) expect(row(r, cs)).toMatchObject({ created: 0, updated: 0, replaced: 0, deleted: 0, failed: "no" });
    for (let i = 0; i < CS.length; i++) expect(onServer(servers[i]!)).toEqual(declared(TOKENS, CS[i]!));
    expect(fileLocks(cli)).toEqual([]);
  });

  test("a hand change on cs3: drift exits 7 and names cs3 alone", async () => {
    servers[2]!.emulator.store.data.tokens.find((t) => t.tokenName === "t07")!.allowedIPs = ["0.0.0.0/0"];
    const r = await fleet(cli, dir, ["drift", "--parallel", "5"]).done;
    expect(r.code).toBe(7);
    expect(row(r, "cs3")).toMatchObject({ updated: 1, drifted: "1", failed: "no" });
    expect(r.stdout).toMatch(/^\[cs3\] would update t07 \(ipAllowlist\)$/m);
    for (const cs of ["cs1", "cs2", "cs4", "cs5"]) expect(row(r, cs)).toMatchObject({ drifted: "0", failed: "no" });
    expect(r.stdout).toMatch(/fleet: drift in cs3 \(exit 7\)/);
    expect(fileLocks(cli)).toEqual([]);
  });

  test("SIGTERM mid-run: no new stack starts, the running ones cancel and release their locks (exit 1); the next up converges everything", async () => {
    // One more token per CommServe, each create held 6 s by the server, so the run is under way when the signal comes.
    const next = fleetTokens(CS, 41);
    fs.writeFileSync(path.join(dir, "tokens.yaml"), stringify(next));
    for (const s of servers) s.emulator.faults.add({ kind: "latency", delayMs: 6_000, method: "POST", path: "/v4/accesstoken" });
    const run = fleet(cli, dir, ["up", "--parallel", "2"]);
    let seen = "";
    run.child.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    const deadline = Date.now() + 300_000;
    while (!/^\[cs\d\] started up$/m.test(seen)) {
      if (Date.now() > deadline) throw new Error(`no stack started within 300 s:\n${seen}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    run.child.kill("SIGTERM");
    const r = await run.done;
    for (const s of servers) s.emulator.faults.clear();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fleet: SIGTERM: no new stack starts; cancelling 2 running/);
    expect(r.stdout).toMatch(/not run: the runner got SIGTERM first/);
    expect(r.stdout).toMatch(/cancelling: the steps under way finish, then the CLI releases the lock/);
    expect(fileLocks(cli)).toEqual([]);

    const after = await fleet(cli, dir, ["up", "--parallel", "5"]).done;
    expect(after.code).toBe(0);
    expect(row(after, "cs3").updated).toBe(1); // the hand change put back
    for (let i = 0; i < CS.length; i++) expect(onServer(servers[i]!)).toEqual(declared(next, CS[i]!));
    expect(fileLocks(cli)).toEqual([]);
  });

  // Last in this block: a CLI killed mid-create leaves a pending create for the next up to sort out.
  test("a stack's CLI killed while it holds the lock: that stack fails, and the runner releases the lock it left (pulumi cancel)", async () => {
    const next = fleetTokens(CS, 41);
    next.cs1!.t41 = { ...next.cs1!.t40!, name: "t41" };
    fs.writeFileSync(path.join(dir, "tokens.yaml"), stringify(next));
    servers[0]!.emulator.faults.add({ kind: "latency", delayMs: 8_000, method: "POST", path: "/v4/accesstoken" });
    const run = fleet(cli, dir, ["up", "--stacks", "cs1"]);
    let seen = "";
    run.child.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
    const deadline = Date.now() + 300_000;
    while (!/^\[cs1\] started up$/m.test(seen) || fileLocks(cli).length === 0) {
      if (Date.now() > deadline) throw new Error(`cs1 took no lock within 300 s:\n${seen}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The runner's own child: the `pulumi up` the Automation API started.
    const pid = execFileSync("pgrep", ["-P", String(run.child.pid), "-f", "pulumi up"], { encoding: "utf8" }).trim().split("\n")[0]!;
    process.kill(Number(pid), "SIGKILL");
    const r = await run.done;
    servers[0]!.emulator.faults.clear();
    expect(r.code).toBe(1);
    expect(row(r, "cs1").failed).toBe("yes");
    expect(r.stdout).toMatch(/^\[cs1\] released the lock the interrupted CLI left \(pulumi cancel\)$/m);
    expect(fileLocks(cli)).toEqual([]);
  });
});

describe("end to end: the fleet runner with state in PostgreSQL (--backend)", () => {
  const CS = ["pg1", "pg2"];
  const TOKENS = fleetTokens(CS, 5);
  const servers: RunningEmulator[] = [];
  let cli: PlainCli;
  let dir: string;
  let pgdir: string;
  let url: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    for (let i = 0; i < CS.length; i++) servers.push(await startEmulator({ control: true }));
    pgdir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pg-"));
    url = execFileSync("bash", [STARTER, "start", pgdir], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 120_000 }).trim().split("\n").pop()!;
    cli = plainCli("fleet-test-passphrase");
    // The helper's file backend is not this run's: the stacks live in PostgreSQL, the password in PGPASSWORD.
    env = { PULUMI_BACKEND_URL: url, PGPASSWORD: fs.readFileSync(path.join(pgdir, "password"), "utf8") };
    dir = fleetCopy(cli, TOKENS);
    for (let i = 0; i < CS.length; i++) await addStack(cli, dir, CS[i]!, servers[i]!.url, env);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    execFileSync("bash", [STARTER, "stop", pgdir], { stdio: "ignore", timeout: 90_000 });
    fs.rmSync(pgdir, { recursive: true, force: true });
  });

  const locks = () =>
    Number(
      execFileSync(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", /127\.0\.0\.1:(\d+)\//.exec(url)![1]!, "-U", "pulumi", "-d", "pulumi", "-qtAX", "-c", "SELECT count(*) FROM pulumi_state WHERE key LIKE '%.pulumi/locks/%'"], {
        env: { ...process.env, PGPASSWORD: env.PGPASSWORD },
        encoding: "utf8",
      }).trim(),
    );

  test("up then drift with --backend postgres://…: both stacks converge (exit 0, then 0); the stacks and no lock are in the database; the password is never printed", async () => {
    const { PULUMI_BACKEND_URL: _unused, ...noBackend } = env;
    // The backend comes from the flag: the helper's file backend stays in the environment and is overridden.
    const up = await fleet(cli, dir, ["up", "--backend", url], noBackend).done;
    expect(up.code).toBe(0);
    for (const cs of CS) expect(row(up, cs)).toMatchObject({ created: 5, failed: "no" });
    for (let i = 0; i < CS.length; i++) expect(onServer(servers[i]!)).toEqual(declared(TOKENS, CS[i]!));
    const drift = await fleet(cli, dir, ["drift", "--backend", url], noBackend).done;
    expect(drift.code).toBe(0);
    for (const cs of CS) expect(row(drift, cs)).toMatchObject({ drifted: "0", failed: "no" });
    expect(locks()).toBe(0);
    const stacks = ok(await cli.pulumi(path.join(dir, "program"), ["stack", "ls", "--json"], env));
    expect((JSON.parse(stacks) as { name: string }[]).map((s) => s.name).sort()).toEqual(CS);
    expect(fileLocks(cli)).toEqual([]);
    expect(up.stdout + up.stderr + drift.stdout + drift.stderr).not.toContain(env.PGPASSWORD!);
  });
});

/** The newest PostgreSQL's bin folder from Debian's package, as scripts/postgres.sh picks it. */
function pgBin(): string {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  if (!versions.length) throw new Error("Debian's postgresql package is not installed (apt-get install postgresql)");
  return path.join(base, versions[versions.length - 1]!, "bin");
}

describe("examples/fleet/github-actions.yml: the same runner as a matrix, one job per stack", () => {
  test("the matrix is the runner's own list of stacks; each job runs the runner on its one stack, in the mode of its event; nothing stops the other stacks when one fails", () => {
    const { parse } = require("yaml") as typeof import("yaml");
    const text = fs.readFileSync(path.join(EXAMPLE, "github-actions.yml"), "utf8");
    const wf = parse(text) as { jobs: Record<string, { needs?: string; outputs?: Record<string, string>; strategy?: { "fail-fast"?: boolean; "max-parallel"?: number; matrix: { stack: string } }; steps: { id?: string; run?: string }[] }> };
    const list = wf.jobs.stacks!.steps.find((s) => s.id === "list")!.run!;
    expect(list).toMatch(/fleet\.ts list --json\)" >> "\$GITHUB_OUTPUT"/);
    const job = wf.jobs.fleet!;
    expect(job.needs).toBe("stacks");
    expect(job.strategy!.matrix.stack).toBe("${{ fromJSON(needs.stacks.outputs.stacks) }}");
    expect(job.strategy!["fail-fast"]).toBe(false);
    expect(job.strategy!["max-parallel"]).toBeGreaterThan(0);
    const run = job.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('fleet.ts "$mode" --stacks "${{ matrix.stack }}"');
    expect(run).toMatch(/pull_request\) mode=preview/);
    expect(run).toMatch(/push\) mode=up/);
    expect(run).toMatch(/\*\) mode=drift/);
    expect(text).not.toMatch(/PULUMI_ACCESS_TOKEN|pulumi\/actions|app\.pulumi\.com/);
  });

  test("the example's own layout passes the runner's check: three stacks, each naming a CommServe of tokens.yaml", async () => {
    const r = await new Promise<CliResult>((resolve) =>
      execFile("node", ["-r", TS_NODE, path.join(EXAMPLE, "fleet.ts"), "list"], { cwd: EXAMPLE }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["apac: CommServe apac, 1 token", "eu-west: CommServe eu-west, 2 tokens", "us-east: CommServe us-east, 1 token"]);
  });
});
