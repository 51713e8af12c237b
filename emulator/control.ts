import type { Clock } from "./clock";
import type { FaultRule, Faults, RateLimit, RateLimiter } from "./faults";
import type { ApiResponse } from "./http";
import type { Store } from "./store";
import type { Variants } from "./tokens";

/** The parts of the emulator this surface drives, named here so that emulator.ts and this file do not import each other. */
export interface Controlled {
  reset(): void;
  readonly clock: Clock;
  readonly faults: Faults;
  readonly limiter: RateLimiter;
  readonly store: Store;
  readonly variants: Variants;
  readonly log: unknown[];
}

const bad = (message: string): ApiResponse => ({ status: 400, body: { error: message } });

/** The known word with the fewest edits from `word` (case ignored). */
function closest(word: string, known: readonly string[]): string {
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length]!;
  };
  return [...known].sort((x, y) => distance(word.toLowerCase(), x.toLowerCase()) - distance(word.toLowerCase(), y.toLowerCase()))[0]!;
}

function parse(raw: string): unknown {
  return raw ? JSON.parse(raw) : {};
}

/**
 * The /__emulator/ surface (contract section 7): not Commvault, only for tests and demos.
 *   POST   reset                      seed users, no tokens, real time, no faults, empty log
 *   GET    clock / POST clock         {now} | {advance: seconds}
 *   GET    faults / POST faults       a rule or {rules:[...]} / DELETE faults
 *   GET    requests / DELETE requests the request log
 *   GET    store                      the raw store, secrets included
 *   GET    variants / POST variants   {errorsAsHttp200?, tokenTypeAsNames?, omitAllowedIPsInList?, omitDateHeader?}
 *   POST   rate-limit / DELETE        {limit, periodSeconds}
 */
export function control(emu: Controlled, method: string, path: string, _q: URLSearchParams, raw: string): ApiResponse {
  let body: Record<string, unknown>;
  try {
    body = parse(raw) as Record<string, unknown>;
  } catch {
    return bad("body is not JSON");
  }
  const what = path.replace(/^\/__emulator\/?/, "");
  const key = `${method} ${what}`;
  switch (key) {
    case "POST reset":
      emu.reset();
      return { status: 200, body: { ok: true } };
    case "GET clock":
      return { status: 200, body: { now: emu.clock.now() } };
    case "POST clock":
      if (typeof body.now === "number") emu.clock.set(body.now);
      else if (typeof body.advance === "number") emu.clock.advance(body.advance);
      else return bad("send {now: epochSeconds} or {advance: seconds}");
      return { status: 200, body: { now: emu.clock.now() } };
    case "GET faults":
      return { status: 200, body: { rules: emu.faults.rules } };
    case "POST faults": {
      const rules = (Array.isArray(body.rules) ? body.rules : [body]) as FaultRule[];
      try {
        rules.forEach((r) => emu.faults.add(r));
      } catch (e) {
        return bad((e as Error).message);
      }
      return { status: 200, body: { rules: emu.faults.rules } };
    }
    case "DELETE faults":
      emu.faults.clear();
      return { status: 200, body: { rules: [] } };
    case "GET requests":
      return { status: 200, body: { requests: emu.log } };
    case "DELETE requests":
      emu.log.length = 0;
      return { status: 200, body: { requests: [] } };
    case "GET store":
      return { status: 200, body: emu.store.data };
    case "GET variants":
      return { status: 200, body: emu.variants };
    case "POST variants": {
      // A misspelled switch answered 200 would leave a test running against the wrong server: refused, nothing changed.
      const known = Object.keys(emu.variants) as (keyof typeof emu.variants)[];
      for (const [k, v] of Object.entries(body)) {
        if (!(known as string[]).includes(k)) return bad(`unknown variant "${k}"; did you mean "${closest(k, known)}"? The variants are ${known.join(", ")}`);
        if (typeof v !== "boolean") return bad(`variant "${k}" must be true or false`);
      }
      for (const k of known) if (typeof body[k] === "boolean") emu.variants[k] = body[k] as boolean;
      return { status: 200, body: emu.variants };
    }
    case "POST rate-limit": {
      const { limit, periodSeconds } = body as Partial<RateLimit>;
      if (!(Number.isInteger(limit) && Number.isInteger(periodSeconds) && limit! > 0 && periodSeconds! > 0)) {
        return bad("send {limit: n > 0, periodSeconds: n > 0}");
      }
      emu.limiter.set({ limit: limit!, periodSeconds: periodSeconds! });
      return { status: 200, body: emu.limiter.config };
    }
    case "DELETE rate-limit":
      emu.limiter.set(undefined);
      return { status: 200, body: {} };
    default:
      return { status: 404, body: { error: `no control route ${key}` } };
  }
}
