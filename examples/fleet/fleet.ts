import * as path from "node:path";
import { readLayout, type FleetStack } from "./runner/layout";
import { runStack, type Mode, type StackResult, type StackRun } from "./runner/stack-run";
import { exitCode, summaryTable } from "./runner/summary";

const USAGE = `usage: fleet.ts preview|up|drift|list [--parallel N] [--backend URL] [--stacks a,b] [--program DIR] [--tokens FILE] [--json]
  preview   what up would do on every stack (pulumi preview)
  up        apply every stack (pulumi up --refresh)
  drift     the drift gate on every stack (pulumi preview --refresh): exit 0 no drift, 7 drift, 1 a stack failed
  list      check the layout and print the stacks (--json: a JSON list, for a CI matrix)`;

interface Options {
  mode: Mode | "list";
  parallel: number;
  backend?: string;
  stacks?: string[];
  program: string;
  tokens: string;
  json: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const [mode, ...rest] = argv;
  if (!mode || !["preview", "up", "drift", "list"].includes(mode)) throw new UsageError(`the first argument must be preview, up, drift or list, not ${mode ?? "nothing"}`);
  const o: Options = { mode: mode as Options["mode"], parallel: 4, program: path.join(__dirname, "program"), tokens: path.join(__dirname, "tokens.yaml"), json: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--parallel") {
      o.parallel = Number(value());
      if (!Number.isInteger(o.parallel) || o.parallel < 1) throw new UsageError(`--parallel must be a whole number of stacks, 1 or more, not ${rest[i]}`);
    } else if (flag === "--backend") o.backend = value();
    else if (flag === "--stacks") o.stacks = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (flag === "--program") o.program = path.resolve(value());
    else if (flag === "--tokens") o.tokens = path.resolve(value());
    else if (flag === "--json") o.json = true;
    else throw new UsageError(`unknown flag ${flag}`);
  }
  return o;
}

/** The environment every stack's CLI gets: the backend, and no hosted service by accident. */
function stackEnv(o: Options): Record<string, string> {
  const backend = o.backend ?? process.env.PULUMI_BACKEND_URL;
  if (!backend) throw new UsageError("say where the state is: --backend URL or PULUMI_BACKEND_URL (file://<folder> or postgres://user@host:5432/db; the password in PGPASSWORD)");
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new UsageError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the stacks' secrets (each CommServe's password) are encrypted with it");
  }
  return { PULUMI_BACKEND_URL: backend, PULUMI_SKIP_UPDATE_CHECK: "true" };
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  let stacks: FleetStack[] = readLayout(o.program, o.tokens);
  if (o.stacks) {
    const unknown = o.stacks.filter((s) => !stacks.some((x) => x.stack === s));
    if (unknown.length) throw new UsageError(`--stacks names ${unknown.join(", ")}, which the program folder has no Pulumi.<stack>.yaml for (it has ${stacks.map((s) => s.stack).join(", ")})`);
    stacks = stacks.filter((s) => o.stacks!.includes(s.stack));
  }
  if (o.mode === "list") {
    console.log(o.json ? JSON.stringify(stacks.map((s) => s.stack)) : stacks.map((s) => `${s.stack}: CommServe ${s.commserve}, ${s.tokens} token${s.tokens === 1 ? "" : "s"}`).join("\n"));
    return 0;
  }
  const mode = o.mode;
  const env = stackEnv(o);
  const width = Math.max(...stacks.map((s) => s.stack.length));
  const print = (line: string) => console.log(line.replace(/^\[([^\]]*)\]/, (_, s: string) => `[${s.padEnd(width)}]`));
  console.log(`fleet: ${mode} of ${stacks.length} stack${stacks.length === 1 ? "" : "s"}, ${Math.min(o.parallel, stacks.length)} at a time`);

  // Bounded parallelism: `parallel` workers take the next stack until none is left or a signal came.
  const results = new Map<string, StackResult>();
  const running = new Set<StackRun>();
  let stopping: string | undefined;
  let next = 0;
  const worker = async () => {
    while (!stopping && next < stacks.length) {
      const s = stacks[next++]!;
      const run = runStack(s.stack, mode, o.program, env, print);
      running.add(run);
      results.set(s.stack, await run.done);
      running.delete(run);
    }
  };

  // SIGINT (Ctrl-C, GitHub's cancel) or SIGTERM (other CI systems, container stops): start no
  // other stack, let the running ones cancel gracefully so that each releases its lock, then
  // print the summary. A terminal's Ctrl-C also reaches the CLIs themselves; a second SIGINT would
  // make the CLI stop at once and leave its lock, so only a CLI that shows no sign of cancelling
  // after two seconds gets one from here.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`fleet: ${signal} again: still waiting for ${[...running].map((r) => r.stack).join(", ") || "nothing"} to release their locks`);
      return;
    }
    stopping = signal;
    console.log(`fleet: ${signal}: no new stack starts; cancelling ${running.size} running (${[...running].map((r) => r.stack).join(", ")})`);
    setTimeout(() => {
      for (const r of running) if (!r.cancelling) r.cancel();
    }, 2_000).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  await Promise.all(Array.from({ length: Math.min(o.parallel, stacks.length) }, worker));
  const all = stacks.map(
    (s) => results.get(s.stack) ?? { stack: s.stack, created: 0, updated: 0, replaced: 0, deleted: 0, failed: true, reason: `not run: the runner got ${stopping} first`, seconds: 0 },
  );
  console.log(summaryTable(mode, all));
  return exitCode(mode, all);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError;
    console.error(`fleet: ${err instanceof Error ? err.message : String(err)}${usage ? `\n${USAGE}` : ""}`);
    // Like pipeline.sh: 2 when the runner itself is misconfigured, so a CI never reads it as drift.
    process.exit(2);
  },
);
