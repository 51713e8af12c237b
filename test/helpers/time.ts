import type { Harness } from "./emulator";

export const DAY = 86_400;
export const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
export const dayFloor = (s: number) => Math.floor(s / DAY) * DAY;

/**
 * The one clock, moved in step: the provider's (COMMVAULT_TOKENS_NOW) and the emulator's. Starts at
 * noon UTC of today, so that "one day before" and "on the day" are whole days apart.
 */
export function sharedClock(h: Harness) {
  const start = dayFloor(Math.floor(Date.now() / 1000)) + DAY / 2;
  let now = start;
  const set = (t: number) => {
    now = t;
    process.env.COMMVAULT_TOKENS_NOW = String(t);
    h.running.emulator.clock.set(t);
  };
  return {
    start,
    now: () => now,
    set,
    /** Moves both clocks to `start + days`. */
    day: (days: number) => set(start + Math.round(days * DAY)),
    reset: () => {
      delete process.env.COMMVAULT_TOKENS_NOW;
    },
  };
}

/**
 * A consumer that renews its token's pair, as a real one must: each renewal returns a new pair,
 * and the old one must never be sent again. Counts its renewals, so a test can tell them from
 * any the provider might make (it must make none).
 */
export class RenewingConsumer {
  renewals = 0;
  constructor(
    private readonly h: Harness,
    public pair: { accessToken: string; refreshToken: string },
  ) {}

  async renew(): Promise<void> {
    const r = await this.h.api.call("POST", "/V4/AccessToken/Renew", { body: this.pair });
    if (r.status !== 200) throw new Error(`renew failed: HTTP ${r.status} ${JSON.stringify(r.body?.errorMessage ?? r.body?.error)}`);
    this.renewals++;
    this.pair = { accessToken: r.body.accessToken, refreshToken: r.body.refreshToken };
  }

  /** Whether its current access token works. */
  async works(): Promise<boolean> {
    return (await this.h.api.call("GET", "/v2/WhoAmI", { token: this.pair.accessToken })).status === 200;
  }
}
