import { CommvaultClient } from "./client/client";
import type { ClientSettings } from "./client/settings";
import { SETTINGS, resolveSettings, type RawSettings } from "./config";
import { TokenLister } from "./lister";

/**
 * Per-process state of the provider. It lives in this required module (not in the serialized
 * provider), so every resource of a run shares one client and therefore one login.
 */
let config: RawSettings = {};
let current: { key: string; settings: ClientSettings; client: CommvaultClient; lister: TokenLister } | undefined;

/** Called from configure(): assignment only, so that concurrent calls never see half a setup. */
export function setConfig(values: RawSettings): void {
  config = values;
}

/**
 * The resolved settings and their client, rebuilt only when the raw inputs (stack config and the
 * COMMVAULT_* variables) change, so a CA bundle file is read once, not once per API operation.
 */
function resolved(): { settings: ClientSettings; client: CommvaultClient; lister: TokenLister } {
  const key = JSON.stringify([config, Object.values(SETTINGS).map((s) => process.env[s.env] ?? null)]);
  if (current?.key !== key) {
    const settings = resolveSettings(config, process.env);
    const client = new CommvaultClient(settings, {
      onRetry: (n) => process.stderr.write(`commvault: ${n.operation} failed (${n.reason}); retry ${n.attempt} in ${Math.round(n.delayMs)} ms\n`),
    });
    current = { key, settings, client, lister: new TokenLister((userId) => client.listTokens(userId)) };
  }
  return current;
}

/** The shared client. */
export function client(): CommvaultClient {
  return resolved().client;
}

/** The shared one-list-per-owner-per-wave lister of that client. */
export function lister(): TokenLister {
  return resolved().lister;
}

/** How long a create whose answer timed out keeps looking for a late commit: twice the request timeout, 10 s to 2 min. */
export function lateCommitMs(): number {
  return Math.min(120_000, Math.max(10_000, 2 * (resolved().settings.timeoutMs ?? 30_000)));
}

/** A warning in the run's output (the engine passes the provider's stderr through). */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** The configured user name, or undefined when not configured (diff must not fail for that). */
export function callerName(): string | undefined {
  try {
    return resolved().settings.username;
  } catch {
    return undefined;
  }
}
