import { parseRfc3339 } from "../model/time";

/** The variable that sets the provider's "now", for tests (documented as such in the README). */
export const NOW_VARIABLE = "COMMVAULT_TOKENS_NOW";

/**
 * The one clock of the provider: check and diff take "now" from here and pass it into pure model
 * functions as epoch seconds. It is the machine's clock, never the server's, unless
 * COMMVAULT_TOKENS_NOW (RFC 3339, or epoch seconds) sets it, which tests do to move it in step
 * with the emulator's clock. Read per call, so a test can move it between runs.
 */
export function nowSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const set = env[NOW_VARIABLE]?.trim();
  if (!set) return Math.floor(Date.now() / 1000);
  const seconds = /^-?\d+$/.test(set) ? Number(set) : parseRfc3339(set);
  if (seconds === undefined || !Number.isSafeInteger(seconds)) {
    throw new Error(`${NOW_VARIABLE} is "${set.slice(0, 40)}", which is neither an RFC 3339 time nor epoch seconds; unset it to use the machine's clock`);
  }
  return seconds;
}
