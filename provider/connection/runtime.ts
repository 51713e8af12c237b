import { AsyncLocalStorage } from "node:async_hooks";
import { CommvaultClient } from "../client/client";
import type { ClientSettings } from "../client/settings";
import { ConfigError, SETTINGS, resolveSettings, serverMissingMessage, type RawSettings } from "./config";
import { TokenLister } from "./lister";
import { nowSeconds } from "./clock";

/**
 * Per-process state of the provider. It lives in this required module (not in the serialized
 * provider), so every resource of a run shares one client per CommServe and therefore one login.
 */
let config: RawSettings = {};
/** Other CommServes: `commvault:servers.<name>.<setting>` in stack config, by profile name. */
let servers: Record<string, RawSettings> = {};
interface Resolved {
  key: string;
  settings: ClientSettings;
  client: CommvaultClient;
  lister: TokenLister;
}
const current = new Map<string, Resolved>();

/** A new run (configure): its name checks read lists of its own, and the last run's tokens are not its own. */
export function forgetRun(): void {
  for (const r of current.values()) {
    r.lister.forget();
    r.client.forgetServerClock();
  }
  startedAt = nowSeconds();
  said.clear();
  awaiting.clear();
}

/** Ids of tokens this run refused as likely leftovers of a run cut short, waiting for COMMVAULT_TOKENS_SETTLE. */
const awaiting = new Set<number>();

/** Adds a refused leftover's id; returns every such id of this run so far, ascending, for the one command that settles them. */
export function awaitingSettle(tokenId: number): number[] {
  awaiting.add(tokenId);
  return [...awaiting].sort((a, b) => a - b);
}

let startedAt: number | undefined;

/** When this run started (its configure), on the one clock; the first call's time when nothing configured. */
export function runStart(): number {
  return (startedAt ??= nowSeconds());
}

/** Called from configure(): assignment only, so that concurrent calls never see half a setup. */
export function setConfig(values: RawSettings, profiles: Record<string, RawSettings> = {}): void {
  config = values;
  servers = profiles;
}

/** Whether a server profile of this name is configured. */
export function hasServer(name: string): boolean {
  return Object.hasOwn(servers, name);
}

/**
 * The resolved settings and client of a CommServe (the default one when `server` is undefined),
 * rebuilt only when its raw settings change, so a CA bundle file is read once, not per API call.
 * A profile's settings are its own: it does not fall back to COMMVAULT_* variables, which name
 * the default server.
 */
function resolved(server?: string): Resolved {
  if (server !== undefined && !hasServer(server)) throw new ConfigError(serverMissing(server));
  const raw = server === undefined ? config : servers[server]!;
  const env = server === undefined ? process.env : {};
  const key = JSON.stringify([raw, Object.values(SETTINGS).map((s) => env[s.env] ?? null)]);
  const slot = server ?? "";
  const hit = current.get(slot);
  if (hit?.key === key) return hit;
  const settings = resolveSettings(raw, env, server);
  const lister = new TokenLister((userId) => client.listTokens(userId));
  const client = new CommvaultClient(settings, {
    onRetry: (n) => sink("info", `commvault${server ? ` (${server})` : ""}: ${n.operation} failed (${n.reason}); retry ${n.attempt} in ${Math.round(n.delayMs)} ms`),
    // A rename or a delete may free a name: the next name check must see a list sent after it.
    onWrite: (tokenId) => lister.wrote(tokenId),
  });
  const fresh = { key, settings, client, lister };
  current.set(slot, fresh);
  return fresh;
}

export function serverMissing(name: string): string {
  return serverMissingMessage(name, Object.keys(servers));
}

/** The API base a CommServe's settings name now (normalised): what state records as `serverUrl`. */
export function serverUrl(server?: string): string {
  return resolved(server).settings.url;
}

/** The shared client of a CommServe. */
export function client(server?: string): CommvaultClient {
  return resolved(server).client;
}

/** The shared one-list-per-owner-per-wave lister of that client. */
export function lister(server?: string): TokenLister {
  return resolved(server).lister;
}

/** A CommServe's request time-out (ms), as configured or the client's default. */
export function timeoutMs(server?: string): number | undefined {
  return resolved(server).settings.timeoutMs;
}

/** The CommServe's clock minus the one clock (seconds), from the Date header of its latest answer; undefined when unknown. */
export function serverOffset(server: string | undefined, now: number): number | undefined {
  const at = resolved(server).client.serverClockNow();
  return at === undefined ? undefined : at - now;
}

/** How long a create whose answer timed out keeps looking for a late commit: twice the request timeout, 10 s to 2 min. */
export function lateCommitMs(server?: string): number {
  return Math.min(120_000, Math.max(10_000, 2 * (resolved(server).settings.timeoutMs ?? 30_000)));
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

/** A progress line in the run's output (a retry, a wait): not deduplicated. */
export function info(message: string): void {
  sink("info", message);
}

/** The URN of the resource the current call is about, where the engine gives it (the plugin sets this). */
let urnSource: () => string | undefined = () => undefined;

/** Lets a door that knows each call's resource (the plugin: the engine sends its URN) say it. */
export function setUrnSource(f: (() => string | undefined) | undefined): void {
  urnSource = f ?? (() => undefined);
}

/** The current call's resource URN, or undefined (the dynamic provider is never told it). */
export function resourceUrn(): string | undefined {
  return urnSource() || undefined;
}

/**
 * The hidden input by which the Node.js SDK tells the dynamic provider the resource's logical
 * name (the engine never tells a dynamic provider which resource a call is about). Used only to
 * name the resource in messages; check keeps it in the inputs, and every other method takes it
 * off before anything else sees them, so outputs never hold it and no diff ever compares it.
 */
export const RESOURCE_NAME_KEY = "__resource";

const callName = new AsyncLocalStorage<string | undefined>();

/** Runs `f` with the resource name the inputs carry (the dynamic door), for resourceLabel; returns the inputs without it. */
export function takeResourceName<T extends object>(inputs: T): { rest: T; name: string | undefined } {
  if (inputs === null || typeof inputs !== "object" || !Object.hasOwn(inputs, RESOURCE_NAME_KEY)) return { rest: inputs, name: undefined };
  const { [RESOURCE_NAME_KEY]: given, ...rest } = inputs as Record<string, unknown>;
  return { rest: rest as T, name: typeof given === "string" && given.length > 0 && given.length <= 200 ? given : undefined };
}

/** Runs `f` as a call about the resource of this logical name (undefined: unknown). */
export function asResource<T>(name: string | undefined, f: () => T): T {
  return callName.run(name, f);
}

/**
 * Who the current call's resource is, where a door says it: its URN (the plugin), else its logical
 * name (the Node.js SDK's hidden input); undefined where neither is known.
 */
export function resourceIdentity(): string | undefined {
  const urn = resourceUrn();
  if (urn) return urn;
  const name = callName.getStore();
  return name !== undefined ? `name:${name}` : undefined;
}

/** How a message names the current call's resource: its URN where known, else its logical name (the Node.js SDK), else the token name it declares or holds. */
export function resourceLabel(tokenName: string): string {
  const urn = resourceUrn();
  if (urn) return `resource ${urn}`;
  const name = callName.getStore();
  return name !== undefined ? `resource "${name}"` : `the resource of access token "${tokenName}"`;
}

/** Warnings said already by this process: the engine calls diff more than once per resource. */
const said = new Set<string>();

/** A warning in the run's output, once per process. */
export function warn(message: string): void {
  if (said.has(message)) return;
  said.add(message);
  sink("warning", message);
}

/** The configured user name, or undefined when not configured (diff must not fail for that). */
export function callerName(server?: string): string | undefined {
  try {
    return resolved(server).settings.username;
  } catch {
    return undefined;
  }
}
