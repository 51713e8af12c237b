import { plainCli } from "../helpers/cli";
import { useEmulator } from "../helpers/emulator";
import { postgresDir, startPostgres, stopPostgres } from "../helpers/gitops";
import { KillStack, followOutput, killUpAt, tokensFor, transcript, type Moment } from "../helpers/killed";

/**
 * The CI size: 10 kills of 3 tokens each (about 4 minutes); the 20 is KILL_SOAK_KILLS=20. KILL_SOAK_KILLS and KILL_SOAK_TOKENS make it bigger;
 * KILL_SOAK_SEED replays a run (each run prints its seed).
 */
const KILLS = Number(process.env.KILL_SOAK_KILLS ?? 10);
const TOKENS = Number(process.env.KILL_SOAK_TOKENS ?? 3);
const SEED = Number(process.env.KILL_SOAK_SEED ?? Date.now() % 2 ** 31);

jest.setTimeout(Math.max(1_800_000, KILLS * TOKENS * 60_000));

/** mulberry32: a small seeded generator, so that a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A kill: one of the aimed moments, or a blind one some milliseconds into the run. */
interface Plan {
  moment: Moment;
  delayMs: number;
  latencyMs: number;
}
function plan(next: () => number): Plan {
  const moments: Moment[] = ["before-post", "post-on-the-wire", "after-answers", "pg-write", "after-ms"];
  const moment = moments[Math.floor(next() * moments.length)]!;
  const latencyMs = 500 + Math.floor(next() * 2_000);
  // Aimed moments: up to 0.6 s after the event; blind ones: anywhere in the first 8 s of the run.
  const delayMs = Math.floor(next() * (moment === "after-ms" ? 8_000 : 600));
  return { moment, delayMs, latencyMs: moment === "after-ms" && next() < 0.5 ? 0 : latencyMs };
}

/**
 * Issue 19 item 7, the soak: `pulumi up` of a Node.js program with state in PostgreSQL, killed
 * (every process) KILLS times in a row at seeded random moments. Each run declares new tokens
 * and drops the previous run's, so each kill cuts creates and deletes short. After each, `pulumi
 * up` and only the commands that the output names must converge: exactly the declared tokens on
 * the server (nothing orphaned, nothing doubled), each held by its resource, nothing pending,
 * the drift gate passing.
 */
describe("end to end: soak of kills at random moments", () => {
  const h = useEmulator({}, { fresh: false });
  let pgdir: string;
  let s: KillStack;
  let pg: { url: string; password: string; port: string };

  beforeAll(async () => {
    pgdir = postgresDir();
    pg = startPostgres(pgdir);
    s = new KillStack(plainCli(), h, "nodejs", "soak", pg);
    await s.init();
    console.log(`kill soak: seed ${SEED} (KILL_SOAK_SEED=${SEED} replays it), ${KILLS} kills of ${TOKENS} tokens`);
  });
  afterAll(() => stopPostgres(pgdir));

  test(`${KILLS} kills in a row, each converging with nothing orphaned or doubled`, async () => {
    const next = random(SEED);
    const log: string[] = [];
    /** Kills after which the tokens converged but Pulumi's records stayed, with nothing in the output to clear them. */
    const recordsLeft: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const p = plan(next);
      s.declare(tokensFor(`k${i}`, TOKENS));
      const kill = await killUpAt(s, p.moment, { pg, latencyMs: p.latencyMs, delayMs: p.delayMs });
      const recovery = await followOutput(s);
      const line = `kill ${i + 1}/${KILLS}: ${p.moment} +${p.delayMs} ms (POST latency ${p.latencyMs} ms): ${kill.postsSent} POSTs sent, ${kill.postsAnswered} answered; then ${recovery.steps.map((x) => x.command.replace(/ --stack \S+| --non-interactive/g, "")).join("; ")}`;
      log.push(line);
      const where = `seed ${SEED}, ${line}`;
      const tokensOnly = !recovery.converged && recovery.pendingLeft.length > 0 && recovery.gatePassed;
      if (!recovery.converged && !tokensOnly) throw new Error(`${where}\nno convergence by the commands the output names:\n${transcript(recovery.steps)}`);
      if (tokensOnly) recordsLeft.push(`${line}\n  left: ${recovery.pendingLeft.join("; ")}`);
      // Every token on the server is one of this run's, once: the previous runs' were deleted.
      const server = s.server("");
      const names = Object.keys(server).sort();
      const ids = Object.values(server);
      if (names.join() !== s.declared.map((t) => t.name).sort().join() || ids.some((x) => x.length !== 1)) {
        throw new Error(`${where}\nthe server holds ${JSON.stringify(server)}, the program declares ${s.declared.map((t) => t.name).join(", ")}\n${transcript(recovery.steps)}`);
      }
      expect((await s.state()).tokens).toEqual(server);
    }
    console.log(log.join("\n"));
    // Nothing pending after any kill: a record that the output never names a way to clear fails the soak.
    expect(recordsLeft).toEqual([]);
    expect(await s.state()).toEqual({ tokens: s.server(""), pending: [] });
  });
});
