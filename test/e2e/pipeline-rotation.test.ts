import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { useEmulator } from "../helpers/emulator";
import { exampleFiles, mustPass, out, pipeline, pipelineEnv } from "../helpers/gitops";
import { killTreeAndWait, sleep, spawnJob, waitFor } from "../helpers/kill";
import { ROOT } from "../helpers/pack";

jest.setTimeout(900_000);

beforeAll(() => {
  execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
});

const SVC_BACKUP_ID = 21;
const token = (trigger: string) => ({ name: "rot-0", userName: "svc-backup", scope: "Custom", apiEndpoints: ["/job"], ipAllowlist: ["10.20.0.0/16"], renewableFor: "30d", rotationTrigger: trigger });

/**
 * Issue 19 item 1 through examples/gitops/pipeline.sh: a merge killed (every process) while a
 * rotation's new token's POST is on the wire. Pulumi records the run as an `updating` pending
 * operation and drops that record in the next up; the pipeline reads it before its up, and
 * confirms the refused token's id only from it.
 */
describe("end to end: pipeline.sh merge after a rotation killed mid-way (file backend)", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const held = () => {
    const names: Record<string, number[]> = {};
    for (const t of h.running.emulator.store.data.tokens) if (t.userId === SVC_BACKUP_ID && t.tokenName.startsWith("rot-0")) (names[t.tokenName] ??= []).push(t.accessTokenId);
    return names;
  };
  const declare = (trigger: string) => fs.writeFileSync(path.join(dir, "tokens.json"), JSON.stringify({ "rot-0": token(trigger) }, null, 2));
  const pending = async () => (JSON.parse(ok(await cli.pulumi(dir, ["stack", "export", "--stack", "dev"], env))) as { deployment: { pending_operations?: unknown[] } }).deployment.pending_operations ?? [];

  /** A merge of a new rotationTrigger, killed once the rename answered and the new token's POST waits on the server; returns the token that POST made. */
  async function killedRotation(trigger: string, old: number): Promise<number> {
    declare(trigger);
    const since = h.running.emulator.log.at(-1)?.seq ?? 0;
    const after = () => h.running.emulator.log.filter((e) => e.seq > since);
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 3_000, method: "POST", path: "/v4/accesstoken" });
    const job = spawnJob("bash", [path.join(dir, "pipeline.sh"), "merge"], { cwd: dir, env });
    await waitFor(() => after().some((e) => e.method === "POST" && e.path === "/v4/accesstoken" && e.status === 0), "the rotation's POST on the wire", 300_000);
    expect(after().find((e) => e.method === "PUT" && e.path === `/v4/accesstoken/${old}`)?.status).toBe(200);
    await sleep(300);
    await killTreeAndWait(job.pid);
    await job.exited;
    await h.api.ctl("DELETE", "faults");
    await waitFor(() => !after().some((e) => e.method === "POST" && e.status === 0), "the POST on the wire to be handled");
    expect(await pending()).toEqual([expect.objectContaining({ type: "updating" })]);
    const left = held()["rot-0"]!;
    expect(left).toHaveLength(1);
    return left[0]!;
  }

  beforeAll(async () => {
    cli = plainCli("gitops-test-passphrase");
    env = pipelineEnv(cli, h, { PULUMI_BACKEND_URL: `file://${fs.mkdtempSync(path.join(os.tmpdir(), "cv-state-rot-"))}`, LOCK_WAIT_SECONDS: "0" });
    dir = cli.program(exampleFiles());
    declare("a");
    mustPass(await pipeline(dir, "merge", env));
  });

  test("the next merge confirms the leftover from Pulumi's pending update of the resource that holds the old token, settles it and converges", async () => {
    const old = held()["rot-0"]![0]!;
    const left = await killedRotation("b", old);
    const r = await pipeline(dir, "merge", env);
    mustPass(r);
    expect(out(r)).toContain(`pipeline: tokens ${left} are leftovers of this stack's run that was cut short`);
    expect(out(r)).toMatch(new RegExp(`token ${left}, created \\S+ by this machine's clock, .*?, confirmed by COMMVAULT_TOKENS_SETTLE as the new token of this resource's rotation that a run cut short left behind`));
    const now = held();
    expect(Object.keys(now).sort()).toEqual(["rot-0", "rot-0~g1"]);
    expect(now["rot-0~g1"]).toEqual([old]);
    expect(now["rot-0"]).toHaveLength(1);
    expect(now["rot-0"]).not.toEqual([left]);
    expect(await pending()).toEqual([]);
    expect((await pipeline(dir, "nightly", env)).code).toBe(0);
  });

  test("once Pulumi has dropped its record (an up ran in between), the leftover is never settled by the pipeline: a person confirms it", async () => {
    const old = held()["rot-0"]!.at(-1)!;
    const left = await killedRotation("c", old);
    // A plain `pulumi up` first: refused, and Pulumi drops its record of the interrupted update.
    await cli.pulumi(dir, ["cancel", "--yes", "--stack", "dev"], env);
    expect((await cli.pulumi(dir, ["up", "--yes", "--skip-preview", "--stack", "dev"], env)).code).not.toBe(0);
    expect(await pending()).toEqual([]);
    const refused = await pipeline(dir, "merge", env);
    expect(refused.code).toBe(1);
    expect(out(refused)).toContain(`COMMVAULT_TOKENS_SETTLE=${left} pulumi up`);
    expect(out(refused)).toContain(`pipeline: token ${left} is not settled: no creating operation of this stack pending under its name and owner, nor an updating one of the resource that holds the token it rotates`);
    expect(held()["rot-0"]).toEqual([left]);
    // The person's word, as printed: the pipeline passes it on.
    const r = await pipeline(dir, "merge", { ...env, COMMVAULT_TOKENS_SETTLE: String(left) });
    mustPass(r);
    expect(Object.keys(held()).sort()).toEqual(["rot-0", "rot-0~g2"]);
  });
});
