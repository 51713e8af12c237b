import type * as dynamic from "@pulumi/pulumi/dynamic";
import { provider } from "../../provider/lifecycle/provider";
import { forgetRun } from "../../provider/connection/runtime";

/** What the engine would keep for one resource between runs. */
export interface Deployed {
  id: string;
  inputs: Record<string, unknown>;
  outs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function configure(values: Record<string, string>): Promise<void> {
  await provider.configure!({ config: { get: (k: string) => values[k], require: (k: string) => values[k]! } } as unknown as dynamic.ConfigureRequest);
}

export class CheckFailed extends Error {
  constructor(readonly failures: dynamic.CheckFailure[]) {
    super(failures.map((f) => `${f.property}: ${f.reason}`).join("\n"));
  }
}

/**
 * One `pulumi up` of one resource, the way the engine sequences the provider's methods:
 * check, then create; or diff, then update or a replacement in the order diff asked for.
 */
export async function up(news: Record<string, unknown>, prior?: Deployed): Promise<Deployed & { action: string }> {
  const checked = await provider.check!(prior?.inputs ?? {}, news);
  if (checked.failures?.length) throw new CheckFailed(checked.failures);
  const inputs = checked.inputs as Record<string, unknown>;
  if (!prior) {
    const c = await provider.create(inputs);
    return { id: c.id, inputs, outs: c.outs, action: "create" };
  }
  const d = await provider.diff!(prior.id, prior.outs, inputs);
  if (!d.changes) return { ...prior, inputs, action: "same" };
  if (d.replaces?.length) {
    // The engine checks a resource it replaces again, as a new one (no olds), and creates the
    // replacement from those inputs (pulumi's step_generator).
    const again = await provider.check!({}, news);
    if (again.failures?.length) throw new CheckFailed(again.failures);
    const fresh = again.inputs as Record<string, unknown>;
    if (d.deleteBeforeReplace) await provider.delete!(prior.id, prior.outs);
    const c = await provider.create(fresh);
    if (!d.deleteBeforeReplace) await provider.delete!(prior.id, prior.outs);
    return { id: c.id, inputs: fresh, outs: c.outs, action: d.deleteBeforeReplace ? "delete-replace" : "create-replace" };
  }
  const u = await provider.update!(prior.id, prior.outs, inputs);
  return { id: prior.id, inputs, outs: u.outs!, action: "update" };
}

/** One `pulumi refresh`: a run of its own, so no list of an earlier run serves it. */
export async function refresh(d: Deployed): Promise<Deployed | undefined> {
  forgetRun();
  const r = await provider.read!(d.id, d.outs);
  return r.id ? { id: r.id, inputs: d.inputs, outs: r.props } : undefined;
}

export { forgetRun, provider };
