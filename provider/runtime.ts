import { CommvaultClient } from "./client/client";
import type { ClientSettings } from "./client/settings";
import { SETTINGS, resolveSettings, type RawSettings } from "./config";

/**
 * Per-process state of the provider. It lives in this required module (not in the serialized
 * provider), so every resource of a run shares one client and therefore one login.
 */
let config: RawSettings = {};
let current: { key: string; settings: ClientSettings; client: CommvaultClient } | undefined;

/** Called from configure(): assignment only, so that concurrent calls never see half a setup. */
export function setConfig(values: RawSettings): void {
  config = values;
}

/**
 * The resolved settings and their client, rebuilt only when the raw inputs (stack config and the
 * COMMVAULT_* variables) change, so a CA bundle file is read once, not once per API operation.
 */
function resolved(): { settings: ClientSettings; client: CommvaultClient } {
  const key = JSON.stringify([config, Object.values(SETTINGS).map((s) => process.env[s.env] ?? null)]);
  if (current?.key !== key) {
    const settings = resolveSettings(config, process.env);
    current = {
      key,
      settings,
      client: new CommvaultClient(settings, {
        onRetry: (n) => process.stderr.write(`commvault: ${n.operation} failed (${n.reason}); retry ${n.attempt} in ${Math.round(n.delayMs)} ms\n`),
      }),
    };
  }
  return current;
}

/** The shared client. */
export function client(): CommvaultClient {
  return resolved().client;
}

/** The configured user name, or undefined when not configured (diff must not fail for that). */
export function callerName(): string | undefined {
  try {
    return resolved().settings.username;
  } catch {
    return undefined;
  }
}
