import * as fs from "node:fs";
import { HEADER_STYLES, type ClientSettings, type HeaderStyle } from "../client/settings";

/** Every setting: its stack config key (namespace `commvault`) and environment fall-back. */
export const SETTINGS = {
  url: { key: "commvault:url", env: "COMMVAULT_URL", secret: false },
  username: { key: "commvault:username", env: "COMMVAULT_USERNAME", secret: false },
  password: { key: "commvault:password", env: "COMMVAULT_PASSWORD", secret: true },
  headerStyle: { key: "commvault:headerStyle", env: "COMMVAULT_HEADER_STYLE", secret: false },
  timeoutSeconds: { key: "commvault:timeoutSeconds", env: "COMMVAULT_TIMEOUT_SECONDS", secret: false },
  caBundle: { key: "commvault:caBundle", env: "COMMVAULT_CA_BUNDLE", secret: false },
  insecureSkipVerify: { key: "commvault:insecureSkipVerify", env: "COMMVAULT_INSECURE_SKIP_VERIFY", secret: false },
} as const;

export type SettingName = keyof typeof SETTINGS;
export type RawSettings = Partial<Record<SettingName, string>>;

/** A setting that is missing or wrong; its message names the key and the command that fixes it. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommvaultConfigError";
  }
}

/** The stack config key of a setting: `commvault:url`, or `commvault:servers.dr.url` for a profile. */
export function keyOf(name: SettingName, server?: string): string {
  return server === undefined ? SETTINGS[name].key : `commvault:servers.${server}.${name}`;
}

function how(name: SettingName, example: string, server?: string): string {
  const s = SETTINGS[name];
  if (server !== undefined) return `set it with \`pulumi config set --path${s.secret ? " --secret" : ""} ${keyOf(name, server)} ${example}\``;
  return `set it with \`pulumi config set${s.secret ? " --secret" : ""} ${s.key} ${example}\` or the ${s.env} environment variable`;
}

/** The API base: a URL with no path gets /commandcenter/api. */
export function normaliseUrl(raw: string, server?: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${keyOf("url", server)} "${raw}" is not a URL; ${how("url", "https://commserve.example.com/commandcenter/api", server)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${keyOf("url", server)} must start with https:// (or http:// for a local emulator), got "${url.protocol}"`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path === "" ? "/commandcenter/api" : path}`;
}

/** Stack config first, then the environment; read at call time, never at module load. */
export function resolveSettings(config: RawSettings, env: NodeJS.ProcessEnv, server?: string): ClientSettings {
  const get = (name: SettingName): string | undefined => {
    const v = config[name] ?? env[SETTINGS[name].env];
    return v === undefined || v === "" ? undefined : v;
  };
  const require = (name: SettingName, example: string): string => {
    const v = get(name);
    if (v === undefined) throw new ConfigError(`Missing Commvault setting ${keyOf(name, server)}: ${how(name, example, server)}`);
    return v;
  };
  const settings: ClientSettings = {
    url: normaliseUrl(require("url", "https://commserve.example.com/commandcenter/api"), server),
    username: require("username", "<user>"),
    password: require("password", "<password>"),
  };
  const style = get("headerStyle");
  if (style !== undefined) {
    if (!(HEADER_STYLES as readonly string[]).includes(style)) {
      throw new ConfigError(`${keyOf("headerStyle", server)} must be one of ${HEADER_STYLES.join(", ")}, got "${style}"`);
    }
    settings.headerStyle = style as HeaderStyle;
  }
  const timeout = get("timeoutSeconds");
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout) || Number(timeout) < 1) throw new ConfigError(`${keyOf("timeoutSeconds", server)} must be a whole number of seconds >= 1, got "${timeout}"`);
    settings.timeoutMs = Number(timeout) * 1000;
  }
  const ca = get("caBundle");
  if (ca !== undefined) settings.caBundle = ca.includes("-----BEGIN") ? ca : readCaFile(ca, keyOf("caBundle", server));
  const insecure = get("insecureSkipVerify");
  if (insecure !== undefined) {
    if (!/^(true|false)$/i.test(insecure)) throw new ConfigError(`${keyOf("insecureSkipVerify", server)} must be true or false, got "${insecure}"`);
    settings.insecureSkipVerify = insecure.toLowerCase() === "true";
  }
  return settings;
}

function readCaFile(path: string, key: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${key} is neither PEM text nor a readable file: ${(e as Error).message}`);
  }
}

/** The stack config key that holds the other CommServes' profiles. */
export const SERVERS_KEY = "commvault:servers";

/**
 * `commvault:servers` as the engine hands it over (a JSON string, secrets decrypted): profile name
 * → its settings, each a string. Anything else fails with the key and how to set it.
 */
export function parseServers(text: string | undefined): Record<string, RawSettings> {
  if (text === undefined || text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${SERVERS_KEY} is not structured config; set each value with \`pulumi config set --path ${SERVERS_KEY}.<name>.url https://...\``);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`${SERVERS_KEY} must map profile names to settings, e.g. ${SERVERS_KEY}.dr.url`);
  const out: Record<string, RawSettings> = {};
  for (const [name, profile] of Object.entries(value as Record<string, unknown>)) {
    if (profile === null || typeof profile !== "object" || Array.isArray(profile)) throw new ConfigError(`${SERVERS_KEY}.${name} must hold settings (url, username, password...)`);
    const raw: RawSettings = {};
    for (const [k, v] of Object.entries(profile as Record<string, unknown>)) {
      if (!Object.hasOwn(SETTINGS, k)) throw new ConfigError(`${SERVERS_KEY}.${name}.${k} is not a setting; the settings are ${Object.keys(SETTINGS).join(", ")}`);
      raw[k as SettingName] = typeof v === "string" ? v : JSON.stringify(v);
    }
    out[name] = raw;
  }
  return out;
}

/** A server profile that is not configured: the three commands that set one, and the ones there are. */
export function serverMissingMessage(name: string, configured: readonly string[]): string {
  return (
    `no CommServe profile "${name}" is configured: set it with \`pulumi config set --path ${SERVERS_KEY}.${name}.url https://...\`, ` +
    `\`pulumi config set --path ${SERVERS_KEY}.${name}.username <user>\` and \`pulumi config set --path --secret ${SERVERS_KEY}.${name}.password <password>\`` +
    (configured.length ? ` (configured: ${configured.join(", ")})` : "")
  );
}

/** The variable by which the one who runs the stack confirms tokens as its own leftovers of a run cut short (see interrupted.ts). */
export const SETTLE_ENV = "COMMVAULT_TOKENS_SETTLE";

/** The token ids that COMMVAULT_TOKENS_SETTLE confirms; read at call time. */
export function settleIds(env: NodeJS.ProcessEnv): ReadonlySet<number> {
  const raw = (env[SETTLE_ENV] ?? "").trim();
  if (raw === "") return new Set();
  const ids = raw.split(",").map((s) => s.trim());
  const bad = ids.find((s) => !/^[1-9]\d*$/.test(s));
  if (bad !== undefined) {
    throw new ConfigError(`${SETTLE_ENV} must be token ids separated by commas (e.g. ${SETTLE_ENV}=102,107), got "${bad}" in "${raw}"; unset it or list only the ids the refusal named`);
  }
  return new Set(ids.map(Number));
}
