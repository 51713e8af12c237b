import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** One stack of the fleet: its name, the CommServe it manages, and how many tokens it declares. */
export interface FleetStack {
  stack: string;
  commserve: string;
  tokens: number;
}

const STACK_FILE = /^Pulumi\.([^.]+)\.ya?ml$/;

/**
 * The stacks of the program folder (one Pulumi.<stack>.yaml each) checked against the data file:
 * every CommServe of tokens.yaml has exactly one stack and every stack names one of them, so no
 * CommServe's tokens are left out of a run and no two stacks fight over the same tokens.
 */
export function readLayout(programDir: string, tokensFile: string): FleetStack[] {
  if (!fs.existsSync(path.join(programDir, "Pulumi.yaml"))) {
    throw new Error(`${programDir} holds no Pulumi.yaml: --program must name the fleet's program folder`);
  }
  const data = parse(fs.readFileSync(tokensFile, "utf8")) as unknown;
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new Error(`${tokensFile}: expected a mapping of CommServe names to their tokens`);
  }
  const commserves = data as Record<string, Record<string, unknown> | null>;
  const stacks: FleetStack[] = [];
  const owner = new Map<string, string>();
  for (const file of fs.readdirSync(programDir).sort()) {
    const m = STACK_FILE.exec(file);
    if (!m) continue;
    const config = ((parse(fs.readFileSync(path.join(programDir, file), "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
    const commserve = config["fleet:commserve"];
    if (typeof commserve !== "string" || !commserve) {
      throw new Error(`${file}: fleet:commserve is not set; run pulumi config set fleet:commserve <name in tokens.yaml> --stack ${m[1]}`);
    }
    if (!(commserve in commserves)) {
      throw new Error(`${file}: fleet:commserve is "${commserve}", which ${path.basename(tokensFile)} does not list; add it there or fix the stack's config`);
    }
    const other = owner.get(commserve);
    if (other) throw new Error(`stacks ${other} and ${m[1]} both name CommServe "${commserve}"; give each CommServe one stack`);
    owner.set(commserve, m[1]!);
    stacks.push({ stack: m[1]!, commserve, tokens: Object.keys(commserves[commserve] ?? {}).length });
  }
  const orphans = Object.keys(commserves).filter((c) => !owner.has(c));
  if (orphans.length) {
    throw new Error(
      `${path.basename(tokensFile)} lists ${orphans.join(", ")} with no stack; add program/Pulumi.<stack>.yaml with fleet:commserve set (pulumi stack init <stack>, then pulumi config set fleet:commserve <name>)`,
    );
  }
  return stacks;
}
