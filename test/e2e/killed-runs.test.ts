import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { plainCli, type PlainCli } from "../helpers/cli";
import { useEmulator } from "../helpers/emulator";
import { postgresDir, startPostgres, stopPostgres } from "../helpers/gitops";
import { KillStack, followOutput, installPlugin, killUpAt, tokensFor, transcript, type Moment, type ProgramKind } from "../helpers/killed";

jest.setTimeout(900_000);

/** Tokens per run, alternating between two service accounts. */
const N = 4;
type Backend = "file" | "postgres";

/** Which moments each program is killed at, with which backend: every moment and backend at least once per program. */
const CASES: Record<ProgramKind, [Moment, Backend][]> = {
  nodejs: [
    ["before-post", "file"],
    ["post-on-the-wire", "file"],
    ["post-on-the-wire", "postgres"],
    ["after-answers", "postgres"],
    ["pg-write", "postgres"],
  ],
  yaml: [
    ["before-post", "postgres"],
    ["post-on-the-wire", "file"],
    ["after-answers", "file"],
    ["pg-write", "postgres"],
  ],
};

/**
 * Issue 19 items 1, 2 and 7 under the plain `pulumi` CLI: every process of `pulumi up` killed
 * (SIGKILL to the whole process tree: Pulumi runs its plugins in process groups of their own) at
 * a chosen moment of its creates, then `pulumi up` again and only the commands that the output
 * names, until the stack converges: exactly the declared tokens on the server, each once and held
 * by its resource in state, no pending operation, and `pulumi preview --refresh --expect-no-changes`
 * passing. Nothing on the server is touched by hand.
 */
describe.each(["nodejs", "yaml"] as ProgramKind[])("end to end: `pulumi up` of a %s program killed mid-create converges by the commands its output names", (kind) => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let pgdir: string;
  let pg: { url: string; password: string; port: string };
  let fileState: string;

  beforeAll(async () => {
    cli = plainCli();
    if (kind === "yaml") await installPlugin(cli);
    fileState = fs.mkdtempSync(path.join(os.tmpdir(), "cv-killed-"));
    pgdir = postgresDir();
    pg = startPostgres(pgdir);
  });
  afterAll(() => stopPostgres(pgdir));

  test.each(CASES[kind])("killed %s, state in %s", async (moment, backend) => {
    const stack = `${moment}-${backend}`;
    const s = new KillStack(cli, h, kind, stack, backend === "file" ? { url: `file://${fileState}` } : pg);
    await s.init();
    const prefix = `${kind === "nodejs" ? "n" : "y"}-${stack}`;
    s.declare(tokensFor(prefix, N));

    const kill = await killUpAt(s, moment, { pg });
    // The kill came at the moment it was aimed at.
    if (moment === "before-post") expect(kill.postsSent).toBe(0);
    if (moment === "post-on-the-wire") expect(kill.postsSent - kill.postsAnswered).toBeGreaterThan(0);
    if (moment === "after-answers" || moment === "pg-write") expect(kill.postsAnswered).toBeGreaterThan(0);

    const recovery = await followOutput(s);
    if (process.env.KILL_VERBOSE) console.log(`${kind} killed ${moment} (${backend}): ${JSON.stringify(kill, (k, v) => (k === "output" ? undefined : v))}\n${recovery.steps.map((x) => `$ ${x.command} (exit ${x.code})`).join("\n")}`);
    if (!recovery.converged) {
      const why = recovery.pendingLeft.length
        ? `Pulumi's records of interrupted creates stay (${recovery.pendingLeft.join("; ")}) and no output names what clears them; the drift gate ${recovery.gatePassed ? "passes" : "fails"}`
        : "no convergence";
      throw new Error(`killed ${moment} (${backend}): ${why}, following the commands the output names:\n${transcript(recovery.steps)}`);
    }
    const server = s.server(prefix);
    expect(Object.keys(server).sort()).toEqual(s.declared.map((t) => t.name).sort());
    for (const ids of Object.values(server)) expect(ids).toHaveLength(1);
    expect(await s.state()).toEqual({ tokens: server, pending: [] });
    // PostgreSQL writes a checkpoint in one statement: nothing to repair by hand there.
    if (backend === "postgres") expect(recovery.docsRepairs).toBe(0);
  });
});
