import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { useEmulator } from "../helpers/emulator";
import { postgresDir, startPostgres, stopPostgres } from "../helpers/gitops";
import { killTreeAndWait, sleep, waitFor } from "../helpers/kill";
import { KillStack, followOutput, installPlugin, killUpAt, tokensFor, transcript, type ProgramKind } from "../helpers/killed";

jest.setTimeout(900_000);

interface Exported {
  deployment: { resources?: { type: string; outputs?: Record<string, any> }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Issue 19 item 1 for a rotation, under the plain `pulumi` CLI: a `rotationTrigger` changed, and
 * every process of `pulumi up` killed after the rename of the current token answered and while
 * the new token's POST waits on the server (which commits it after the kill). Then `pulumi up`
 * again and only the commands the output names, until the stack converges: exactly the declared
 * tokens plus the one kept aside for the overlap, each once, no pending operation, the drift
 * gate passing, and the old token alive under its aside name.
 */
describe.each(["nodejs", "yaml"] as ProgramKind[])("end to end: a rotation of a %s program killed while its new token's POST is on the wire converges by the commands its output names", (kind) => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  // Both backends: the file backend for the Node.js program, PostgreSQL for the YAML one.
  const backend = kind === "nodejs" ? "file" : "postgres";
  let state: { url: string; password?: string };
  let pgdir: string | undefined;

  beforeAll(async () => {
    cli = plainCli();
    if (kind === "yaml") await installPlugin(cli);
    if (backend === "file") state = { url: `file://${fs.mkdtempSync(path.join(os.tmpdir(), "cv-killed-rot-"))}` };
    else state = startPostgres((pgdir = postgresDir()));
  });
  afterAll(() => pgdir && stopPostgres(pgdir));

  /** A stack of two tokens, one with a rotationTrigger, made by a first `up`; then the trigger changed. */
  async function rotatingStack(stack: string) {
    const s = new KillStack(cli, h, kind, stack, state);
    await s.init();
    const prefix = `${kind === "nodejs" ? "n" : "y"}-${stack}`;
    const [rotating, steady] = tokensFor(prefix, 2) as [ReturnType<typeof tokensFor>[number], ReturnType<typeof tokensFor>[number]];
    s.declare([{ ...rotating, trigger: "a" }, steady]);
    ok(await s.pulumi(["up", "--yes", "--skip-preview"]));
    const old = s.server(prefix)[rotating.name]![0]!;
    s.declare([{ ...rotating, trigger: "b" }, steady]);
    return { s, prefix, rotating, steady, old, aside: `${rotating.name}~g1` };
  }

  test(`killed while the rename is on the wire, before the POST (state in ${backend}): the next up simply finishes the rotation`, async () => {
    const { s, prefix, rotating, steady, old, aside } = await rotatingStack("renaming");
    const since = h.running.emulator.log.at(-1)?.seq ?? 0;
    const after = () => h.running.emulator.log.filter((e) => e.seq > since);
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 3_000, method: "PUT", path: "/v4/accesstoken/" });
    const job = s.startUp();
    await waitFor(() => after().some((e) => e.method === "PUT" && e.status === 0), "the rename on the wire", 300_000);
    await sleep(300);
    await killTreeAndWait(job.pid);
    await job.exited;
    await h.api.ctl("DELETE", "faults");
    await waitFor(() => !after().some((e) => e.status === 0), "the rename on the wire to be handled");
    // The server renamed it after the kill; no POST was sent.
    expect(after().filter((e) => e.method === "POST" && e.path === "/v4/accesstoken")).toEqual([]);
    expect(s.server(prefix)).toEqual({ [aside]: [old], [steady.name]: expect.any(Array) });

    const recovery = await followOutput(s);
    if (!recovery.converged) throw new Error(`the rotation killed at its rename did not converge, following the commands the output names:\n${transcript(recovery.steps)}`);
    // Nothing to settle: no token was left under the declared name.
    expect(recovery.steps.map((x) => x.command).filter((c) => c.includes("COMMVAULT_TOKENS_SETTLE"))).toEqual([]);
    const server = s.server(prefix);
    expect(Object.keys(server).sort()).toEqual([rotating.name, aside, steady.name].sort());
    for (const ids of Object.values(server)) expect(ids).toHaveLength(1);
    expect(server[aside]).toEqual([old]);
    const { [aside]: _kept, ...declared } = server;
    expect(await s.state()).toEqual({ tokens: declared, pending: [] });
  });

  test(`killed while the new token's POST is on the wire, state in ${backend}`, async () => {
    const { s, prefix, rotating, steady, old, aside } = await rotatingStack("rotation");
    const since = h.running.emulator.log.at(-1)?.seq ?? 0;
    const kill = await killUpAt(s, "post-on-the-wire");
    // The rename had answered, and the new token's POST was on the wire.
    const put = h.running.emulator.log.find((e) => e.seq > since && e.method === "PUT" && e.path === `/v4/accesstoken/${old}`);
    expect(put?.status).toBe(200);
    expect(kill.postsSent - kill.postsAnswered).toBe(1);
    const left = s.server(prefix)[rotating.name]!;
    expect(left).toHaveLength(1);
    expect(s.server(prefix)[aside]).toEqual([old]);

    const recovery = await followOutput(s);
    if (process.env.KILL_VERBOSE) console.log(`${kind}:\n${transcript(recovery.steps)}\n--- killed run:\n${kill.output}`);
    if (!recovery.converged) throw new Error(`the rotation killed mid-way did not converge, following the commands the output names:\n${transcript(recovery.steps)}`);
    const said = recovery.steps.map((x) => x.output).join("\n");
    // The way out was the one the refusal printed, and the leftover was revoked by name.
    expect(recovery.steps.map((x) => x.command)).toContain(`COMMVAULT_TOKENS_SETTLE=${left[0]} pulumi up --yes --skip-preview`);
    expect(said).toMatch(new RegExp(`token ${left[0]}, created \\S+ by this machine's clock, the CommServe's createdTime \\S+ less its clock's offset of [-+]\\d+ s from its Date header, confirmed by COMMVAULT_TOKENS_SETTLE as the new token of this resource's rotation that a run cut short left behind`));

    // Exactly the declared tokens and the one kept aside, each once; the leftover gone; the old token alive aside.
    const server = s.server(prefix);
    expect(Object.keys(server).sort()).toEqual([rotating.name, aside, steady.name].sort());
    for (const ids of Object.values(server)) expect(ids).toHaveLength(1);
    expect(server[rotating.name]).not.toEqual(left);
    expect(server[aside]).toEqual([old]);
    const { [aside]: _kept, ...declared } = server;
    expect(await s.state()).toEqual({ tokens: declared, pending: [] });
    const outs = (JSON.parse(ok(await s.pulumi(["stack", "export"]))) as Exported).deployment.resources!.find((r) => r.type === s.type && r.outputs?.name === rotating.name)!.outputs!;
    expect(outs).toMatchObject({ generation: 2, previous: { tokenId: old, name: aside } });
    const kept = h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === old)!;
    expect(kept.tokenName).toBe(aside);
    expect(Date.parse(outs.previous.retireAfter as string)).toBeGreaterThan(Date.now());
  });
});
