/**
 * What a Node.js program spends per resource in Pulumi's SDK, measured in a process of its own
 * under ts-node (whose source-map support the Node.js language host also registers for every
 * program) with the SDK's mocks in place of the engine. Run by `npm run bench`; prints JSON.
 *
 *   floor:        the no-op dynamic resource (scripts/bench/floor), 3 keys
 *   ours:         AccessToken as shipped (27 keys, no stack frames captured while constructing)
 *   oursBefore:   the same 27 keys and options through a constructor that leaves Error.stackTraceLimit
 *                 alone, as AccessToken's did before (a stack trace for each of the SDK's promises)
 *
 *   ts-node --transpile-only scripts/bench/program-cost.ts <variant> [N]
 */
import Module from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "program-cost", "bench", true);

// The provider's code is no part of this: both resources get the no-op provider (serialized once).
const NOOP = path.join(__dirname, "floor", "provider.js");
const resolve = (Module as unknown as { _resolveFilename: (r: string, ...rest: unknown[]) => string })._resolveFilename;
(Module as unknown as { _resolveFilename: typeof resolve })._resolveFilename = (request, ...rest) =>
  request === "pulumi-commvault-tokens/provider" ? NOOP : resolve(request, ...rest);

const { AccessToken } = require("../../sdk") as typeof import("../../sdk");
const noop = require(NOOP) as pulumi.dynamic.ResourceProvider;

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, unknown>) {
    super(noop, name, { ...args }, undefined, "bench", "Noop");
  }
}

const VARIANT = process.argv[2] as "floor" | "ours" | "oursBefore";
const N = Number(process.argv[3] ?? 500);

/** CPU microseconds per resource to construct N resources and see each registered. */
async function batch(n: number): Promise<number> {
  const make = {
    floor: (name: string, a: Record<string, unknown>) => new Noop(name, a),
    ours: (name: string, a: Record<string, unknown>) => new AccessToken(name, a as never),
    oursBefore: (name: string, a: Record<string, unknown>) => new Before(name, a),
  }[VARIANT];
  const c0 = process.cpuUsage();
  const made: pulumi.Resource[] = [];
  for (let i = 0; i < n; i++) made.push(make(`r${VARIANT}${n}-${i}`, { name: `bench-${i}`, userName: i % 2 ? "svc-reporting" : "svc-backup" }));
  await Promise.all(made.map((r) => new Promise<void>((resolve) => r.urn.apply(() => resolve()))));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/** AccessToken's output keys, as the SDK made an Output for each. */
const KEYS = Object.keys(new AccessToken("keys", { name: "keys" })).filter((k) => !["urn", "id"].includes(k) && !k.startsWith("__"));

class Before extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, unknown>) {
    const props = { ...Object.fromEntries(KEYS.map((k) => [k, undefined])), ...args };
    super(require("pulumi-commvault-tokens/provider") as pulumi.dynamic.ResourceProvider, name, props, { additionalSecretOutputs: ["accessToken", "refreshToken"] }, "commvault", "AccessToken");
  }
}

async function main(): Promise<void> {
  if (KEYS.length < 27) throw new Error(`AccessToken made Outputs for ${KEYS.length} keys only: ${KEYS.join(", ")}`);
  // A first batch loads the modules and warms the JIT; the second is measured.
  await batch(50);
  process.stdout.write(`${JSON.stringify({ variant: VARIANT, n: N, cpuUsPerResource: await batch(N) })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
