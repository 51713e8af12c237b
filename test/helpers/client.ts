import { CommvaultClient } from "../../provider/client/client";
import type { ClientHooks, ClientSettings } from "../../provider/client/settings";
import type { Harness } from "./emulator";

export interface Recorded {
  sleeps: number[];
  retries: string[];
}

/** A client bound to the harness's emulator that sleeps for no real time and records backoffs. */
export function clientFor(h: Harness, settings: Partial<ClientSettings> = {}, hooks: ClientHooks = {}): { client: CommvaultClient; rec: Recorded } {
  const rec: Recorded = { sleeps: [], retries: [] };
  const client = new CommvaultClient(
    { url: h.running.url, username: "admin", password: "admin-password", ...settings },
    {
      sleep: async (ms) => {
        rec.sleeps.push(ms);
      },
      random: () => 0.5,
      onRetry: (n) => rec.retries.push(`${n.operation}: ${n.reason}`),
      ...hooks,
    },
  );
  return { client, rec };
}

/** Requests the emulator logged, as "METHOD path status". */
export function requestLog(h: Harness): string[] {
  return h.running.emulator.log.map((e) => `${e.method} ${e.path} ${e.status}`);
}
