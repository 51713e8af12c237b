/**
 * Measures what each operation costs in Commvault API calls and time, against the emulator, and
 * prints a Markdown report (kept in docs/benchmarks.md). Numbers, not assertions: the tests
 * assert behaviour; this says how fast and how many calls.
 *
 *   npm run bench                 # all of it (needs the Pulumi CLI: built on first use)
 *   npm run bench -- --no-engine  # skip the Pulumi engine part
 */
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { startEmulator, type RunningEmulator } from "../emulator";
import { CommvaultClient } from "../provider/client/client";
import { provider } from "../provider/lifecycle";
import { e2eProject } from "../test/helpers/pulumi";

const N = Number(process.env.BENCH_TOKENS ?? 50);
const lines: string[] = [];
const out = (s = "") => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};

function calls(emu: RunningEmulator, since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of emu.emulator.log.filter((l) => l.seq > since)) {
    const key = `${e.method} ${e.path.replace(/\/\d+$/, "/<id>")}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
const lastSeq = (emu: RunningEmulator) => emu.emulator.log.at(-1)?.seq ?? 0;
const fmt = (c: Record<string, number>, per = 1) => Object.entries(c).sort().map(([k, v]) => `${k} ×${+(v / per).toFixed(2)}`).join(", ");

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function configure(url: string): Promise<void> {
  const values: Record<string, string> = { "commvault:url": url, "commvault:username": "admin", "commvault:password": "admin-password" };
  await provider.configure!({ config: { get: (k: string) => values[k] } } as unknown as dynamic.ConfigureRequest);
}

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function providerBench(): Promise<void> {
  const emu = await startEmulator({ control: true });
  await configure(emu.url);
  out(`## Provider lifecycle, ${N} tokens, 10 at a time (the engine's parallelism is 4 × cores)`);
  out();
  out("| Operation | Commvault calls per token | Wall time, all tokens | Per token |");
  out("|---|---|---|---|");
  const names = Array.from({ length: N }, (_, i) => `bench-${i}`);
  const states = new Map<string, { id: string; outs: Record<string, unknown> }>();
  let since = lastSeq(emu);
  let [, ms] = await timed(() => pool(names, 10, async (n) => {
    const inputs = (await provider.check!({}, { name: n, userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"] })).inputs;
    const c = await provider.create(inputs);
    states.set(n, { id: c.id, outs: c.outs });
  }));
  out(`| create (owner by name) | ${fmt(calls(emu, since), N)} | ${ms.toFixed(0)} ms | ${(ms / N).toFixed(1)} ms |`);

  since = lastSeq(emu);
  [, ms] = await timed(() => pool(names, 10, async (n) => {
    const s = states.get(n)!;
    const news = (await provider.check!(s.outs, { name: `${n}-renamed`, userName: "svc-backup", ipAllowlist: ["192.0.2.0/24"] })).inputs;
    await provider.diff!(s.id, s.outs, news);
    s.outs = (await provider.update!(s.id, s.outs, news)).outs!;
  }));
  out(`| rename + re-allow-list | ${fmt(calls(emu, since), N)} | ${ms.toFixed(0)} ms | ${(ms / N).toFixed(1)} ms |`);

  since = lastSeq(emu);
  [, ms] = await timed(() => pool(names, 10, async (n) => {
    const s = states.get(n)!;
    await provider.read!(s.id, s.outs);
  }));
  out(`| read (refresh) | ${fmt(calls(emu, since), N)} | ${ms.toFixed(0)} ms | ${(ms / N).toFixed(1)} ms |`);

  since = lastSeq(emu);
  [, ms] = await timed(() => pool(names, 10, async (n) => {
    const s = states.get(n)!;
    const news = (await provider.check!(s.outs, s.outs)).inputs;
    await provider.diff!(s.id, s.outs, news);
  }));
  out(`| check + diff, nothing changed | ${fmt(calls(emu, since), N) || "none"} | ${ms.toFixed(0)} ms | ${(ms / N).toFixed(2)} ms |`);

  since = lastSeq(emu);
  [, ms] = await timed(() => pool(names, 10, async (n) => {
    const s = states.get(n)!;
    await provider.delete!(s.id, s.outs);
  }));
  out(`| delete | ${fmt(calls(emu, since), N)} | ${ms.toFixed(0)} ms | ${(ms / N).toFixed(1)} ms |`);
  out();

  // Faults: a fifth of all answers are 503 or 502, and a tenth of creates lose their answer.
  emu.emulator.faults.add({ kind: "status", status: 503, rate: 0.1 });
  emu.emulator.faults.add({ kind: "status", status: 502, rate: 0.1 });
  emu.emulator.faults.add({ kind: "drop", method: "POST", path: "/v4/accesstoken", rate: 0.1 });
  since = lastSeq(emu);
  let failed = 0;
  const reasons: string[] = [];
  [, ms] = await timed(() => pool(names, 10, async (n) => {
    try {
      const inputs = (await provider.check!({}, { name: `${n}-faulty`, userName: "svc-backup" })).inputs;
      await provider.create(inputs);
    } catch (e) {
      failed++;
      reasons.push((e as Error).message);
    }
  }));
  const made = emu.emulator.store.data.tokens.length;
  const dupes = made - new Set(emu.emulator.store.data.tokens.map((t) => t.tokenName.toLowerCase())).size;
  out(`## Under faults: 10% 503, 10% 502, 10% of creates lose their answer after committing`);
  out();
  out(`${N} creates: ${N - failed} succeeded, ${failed} failed, ${made} tokens exist, ${dupes} duplicates; ${ms.toFixed(0)} ms; calls: ${fmt(calls(emu, since))}`);
  for (const r of reasons) out(`- failed: ${r}`);
  out();
  await emu.close();
}

async function clientBench(): Promise<void> {
  const emu = await startEmulator({ control: true });
  const client = new CommvaultClient({ url: emu.url, username: "admin", password: "admin-password" });
  const since = lastSeq(emu);
  const [, ms] = await timed(() => Promise.all(Array.from({ length: 200 }, () => client.whoAmI())));
  out(`## Client`);
  out();
  out(`200 concurrent calls on a cold client: ${fmt(calls(emu, since))}; ${ms.toFixed(0)} ms`);
  out();
  await emu.close();
}

async function engineBench(): Promise<void> {
  const emu = await startEmulator({ control: true });
  const project = await e2eProject();
  const count = Number(process.env.BENCH_ENGINE_TOKENS ?? 20);
  let suffix = "";
  const program = async () => {
    const { AccessToken } = project.require("pulumi-commvault-tokens") as { AccessToken: new (n: string, a: Record<string, unknown>) => unknown };
    for (let i = 0; i < count; i++) new AccessToken(`t${i}`, { name: `engine-${i}${suffix}`, userName: i % 2 ? "svc-backup" : "svc-reporting" });
    return {};
  };
  const stack = await project.newStack("bench", program, {
    "commvault:url": { value: emu.url },
    "commvault:username": { value: "admin" },
    "commvault:password": { value: "admin-password", secret: true },
  });
  out(`## The Pulumi engine (Automation API, local backend), ${count} tokens`);
  out();
  out("| Command | Wall time | Commvault writes |");
  out("|---|---|---|");
  const writes = (since: number) => emu.emulator.log.filter((e) => e.seq > since && e.method !== "GET" && e.path !== "/login").length;
  for (const [label, run] of [
    ["up (create all)", () => stack.up()],
    ["preview, no changes", () => stack.preview()],
    ["up, rename all", async () => { suffix = "-v2"; return stack.up(); }],
    ["preview --refresh, no drift", () => stack.preview({ refresh: true })],
    ["destroy", () => stack.destroy()],
  ] as [string, () => Promise<unknown>][]) {
    const since = lastSeq(emu);
    const [, ms] = await timed(run);
    out(`| ${label} | ${(ms / 1000).toFixed(1)} s | ${writes(since)} |`);
  }
  out();
  await emu.close();
}

async function main(): Promise<void> {
  out(`# Benchmarks`);
  out();
  out(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. Emulator in-process on loopback, no injected latency.`);
  out(`Reproduce: \`npm run bench\` (BENCH_TOKENS, BENCH_ENGINE_TOKENS to resize).`);
  out();
  await clientBench();
  await providerBench();
  if (!process.argv.includes("--no-engine")) await engineBench();
  out("## Reading the numbers");
  out();
  out("- A create costs one read and one write: the owner's list (`GET /V4/AccessToken`, to refuse a taken name up front and");
  out("  to make a lost answer safe to recover) and the `POST`. The owner's id (`GET /User`, or `GET /v2/WhoAmI` when no owner");
  out("  is named) is looked up once per run.");
  out("- Every in-place change is exactly one `PUT` with only the changed fields; a refresh is one `GET` per token; a preview");
  out("  with nothing changed calls Commvault not at all. One login serves a whole run, however many tokens.");
  out("- Under faults every create ended with exactly one token per name: lost answers are recovered by revoking the token");
  out("  that was made and creating it again (the extra `DELETE`s above).");
  out("- Engine times are dominated by the Pulumi CLI itself (about 2 s for an empty preview on this machine).");
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
