import { CommvaultClient } from "./client/client";
import type { ClientSettings } from "./client/settings";
import { resolveSettings, type RawSettings } from "./config";

/**
 * Per-process state of the provider. It lives in this required module (not in the serialized
 * provider), so every resource of a run shares one client and therefore one login.
 */
let config: RawSettings = {};
let current: { key: string; client: CommvaultClient } | undefined;

/** Called from configure(): assignment only, so that concurrent calls never see half a setup. */
export function setConfig(values: RawSettings): void {
  config = values;
}

export function settings(): ClientSettings {
  return resolveSettings(config, process.env);
}

/** The shared client, rebuilt only when the settings change. */
export function client(): CommvaultClient {
  const s = settings();
  const key = JSON.stringify(s);
  if (current?.key !== key) {
    current = {
      key,
      client: new CommvaultClient(s, {
        onRetry: (n) => process.stderr.write(`commvault: ${n.operation} failed (${n.reason}); retry ${n.attempt} in ${Math.round(n.delayMs)} ms\n`),
      }),
    };
  }
  return current.client;
}

/** The configured user name, or undefined when not configured (diff must not fail for that). */
export function callerName(): string | undefined {
  try {
    return settings().username;
  } catch {
    return undefined;
  }
}
