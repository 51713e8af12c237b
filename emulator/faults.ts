/**
 * Fault injection. A rule matches requests by method and path substring, applies to a share of
 * them (`rate`) and for a number of them (`count`), then retires. Tests use `count` so that they
 * are deterministic; `rate` serves soak runs and demos.
 */
export interface FaultRule {
  /** status: answer with `status` before anything is handled; reset: close the socket before
   * anything is handled; drop: handle (and commit) the request, then close the socket without an
   * answer; latency: wait `delayMs` first. */
  kind: "status" | "reset" | "drop" | "latency";
  status?: number;
  /** Seconds, sent as Retry-After with a 429. */
  retryAfter?: number;
  count?: number;
  rate?: number;
  method?: string;
  path?: string;
  delayMs?: number;
}

const KINDS = new Set(["status", "reset", "drop", "latency"]);
const STATUSES = new Set([429, 500, 502, 503, 504]);

export function validateRule(input: unknown): FaultRule {
  const r = input as FaultRule;
  if (!r || typeof r !== "object" || !KINDS.has(r.kind)) {
    throw new Error(`a fault rule needs kind: one of ${[...KINDS].join(", ")}`);
  }
  if (r.kind === "status" && !STATUSES.has(r.status ?? 0)) {
    throw new Error(`a status fault needs status: one of ${[...STATUSES].join(", ")}`);
  }
  if (r.kind === "latency" && !(typeof r.delayMs === "number" && r.delayMs >= 0)) {
    throw new Error("a latency fault needs delayMs >= 0");
  }
  if (r.rate !== undefined && !(r.rate >= 0 && r.rate <= 1)) throw new Error("rate must be between 0 and 1");
  if (r.count !== undefined && !(Number.isInteger(r.count) && r.count > 0)) throw new Error("count must be a positive integer");
  return { ...r };
}

export class Faults {
  rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push(validateRule(rule));
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * The first rule of `kind` that matches this request and hits its `rate`; consumes one of its
   * `count`. Each matching rule rolls its own rate, so two rules at 10 % fail about 19 %.
   */
  take(kind: FaultRule["kind"], method: string, path: string, random: () => number = Math.random): FaultRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.kind === kind &&
        (!r.method || r.method.toUpperCase() === method) &&
        (!r.path || path.includes(r.path.toLowerCase())) &&
        random() < (r.rate ?? 1),
    );
    if (!rule) return undefined;
    if (rule.count !== undefined && --rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule;
  }
}

export interface RateLimit {
  limit: number;
  periodSeconds: number;
}

/** A fixed-window limiter per caller (credential or address), on wall-clock time. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(public config?: RateLimit) {}

  /** Seconds to wait when over the limit, else undefined. */
  check(key: string, nowMs = Date.now()): number | undefined {
    if (!this.config) return undefined;
    const periodMs = this.config.periodSeconds * 1000;
    const w = this.windows.get(key);
    if (!w || nowMs - w.start >= periodMs) {
      this.windows.set(key, { start: nowMs, count: 1 });
      return undefined;
    }
    if (++w.count <= this.config.limit) return undefined;
    return Math.max(1, Math.ceil((w.start + periodMs - nowMs) / 1000));
  }

  set(config?: RateLimit): void {
    this.config = config;
    this.windows.clear();
  }
}
