import { performance } from "node:perf_hooks";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { CommvaultClient } from "../../provider/client/client";
import { provider } from "../../provider/lifecycle/provider";

/**
 * The provider's lifecycle methods called directly (no engine), against the emulator: what each
 * operation costs in Commvault calls, and the client's single-flight login.
 */
export interface OpCost {
  label: string;
  calls: Record<string, number>;
  ms: number;
}

function calls(emu: RunningEmulator, since: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of emu.emulator.log.filter((l) => l.seq > since)) {
    const key = `${e.method} ${e.path.replace(/\/\d+$/, "/<id>")}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
const lastSeq = (emu: RunningEmulator) => emu.emulator.log.at(-1)?.seq ?? 0;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** N tokens of two owners, `width` at a time (the engine's default parallelism is 8), each request `latencyMs` late. */
export async function providerBench(n: number, width: number, latencyMs: number): Promise<OpCost[]> {
  const emu = await startEmulator({ control: true });
  if (latencyMs > 0) emu.emulator.faults.add({ kind: "latency", delayMs: latencyMs });
  const values: Record<string, string> = { "commvault:url": emu.url, "commvault:username": "admin", "commvault:password": "admin-password" };
  await provider.configure!({ config: { get: (k: string) => values[k] } } as unknown as dynamic.ConfigureRequest);
  const names = Array.from({ length: n }, (_, i) => `bench-${i}`);
  const owner = (i: number) => (i % 2 ? "svc-reporting" : "svc-backup");
  const states = new Map<string, { id: string; outs: Record<string, unknown> }>();
  const out: OpCost[] = [];
  const step = async (label: string, fn: (name: string, i: number) => Promise<void>) => {
    const since = lastSeq(emu);
    const ms = await timed(() => pool(names, width, (name) => fn(name, names.indexOf(name))));
    out.push({ label, calls: calls(emu, since), ms });
  };
  try {
    await step("create (owner by name)", async (name, i) => {
      const inputs = (await provider.check!({}, { name, userName: owner(i), ipAllowlist: ["10.0.0.0/8"] })).inputs;
      const c = await provider.create(inputs);
      states.set(name, { id: c.id, outs: c.outs });
    });
    await step("rename + new allow list", async (name, i) => {
      const s = states.get(name)!;
      const news = (await provider.check!(s.outs, { name: `${name}-renamed`, userName: owner(i), ipAllowlist: ["192.0.2.0/24"] })).inputs;
      await provider.diff!(s.id, s.outs, news);
      s.outs = (await provider.update!(s.id, s.outs, news)).outs!;
    });
    await step("read (refresh)", async (name) => {
      const s = states.get(name)!;
      await provider.read!(s.id, s.outs);
    });
    await step("check + diff, nothing changed", async (name) => {
      const s = states.get(name)!;
      const news = (await provider.check!(s.outs, s.outs)).inputs;
      await provider.diff!(s.id, s.outs, news);
    });
    await step("delete", async (name) => {
      const s = states.get(name)!;
      await provider.delete!(s.id, s.outs);
    });
  } finally {
    await emu.close();
  }
  return out;
}

/** 200 concurrent calls on a cold client: one login serves them all. */
export async function clientBench(): Promise<OpCost> {
  const emu = await startEmulator({ control: true });
  try {
    const client = new CommvaultClient({ url: emu.url, username: "admin", password: "admin-password" });
    const since = lastSeq(emu);
    const ms = await timed(() => Promise.all(Array.from({ length: 200 }, () => client.whoAmI())));
    return { label: "200 concurrent calls, cold client", calls: calls(emu, since), ms };
  } finally {
    await emu.close();
  }
}
