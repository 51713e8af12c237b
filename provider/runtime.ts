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
      onRetry: (n) => sink("info", `commvault: ${n.operation} failed (${n.reason}); retry ${n.attempt} in ${Math.round(n.delayMs)} ms`),
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

/** Where the provider's notes go: a door that can reach the engine's log sets it (the plugin). */
export type NoteSink = (severity: "info" | "warning", message: string) => void;

/** The dynamic provider's: its stderr, which the engine passes through to the run's output. */
const stderrSink: NoteSink = (severity, message) => process.stderr.write(severity === "warning" ? `warning: ${message}\n` : `${message}\n`);
let sink: NoteSink = stderrSink;

/** Sends the provider's notes (preview warnings, retries) to `s`; undefined restores stderr. */
export function setNoteSink(s: NoteSink | undefined): void {
  sink = s ?? stderrSink;
}

/** A warning in the run's output. */
export function warn(message: string): void {
  sink("warning", message);
}

/** The configured user name, or undefined when not configured (diff must not fail for that). */
export function callerName(): string | undefined {
  try {
    return resolved().settings.username;
  } catch {
    return undefined;
  }
}
