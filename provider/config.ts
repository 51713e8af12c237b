import * as fs from "node:fs";
import { HEADER_STYLES, type ClientSettings, type HeaderStyle } from "./client/settings";

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

function how(name: SettingName, example: string): string {
  const s = SETTINGS[name];
  return `set it with \`pulumi config set${s.secret ? " --secret" : ""} ${s.key} ${example}\` or the ${s.env} environment variable`;
}

/** The API base: a URL with no path gets /commandcenter/api. */
export function normaliseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${SETTINGS.url.key} "${raw}" is not a URL; ${how("url", "https://commserve.example.com/commandcenter/api")}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${SETTINGS.url.key} must start with https:// (or http:// for a local emulator), got "${url.protocol}"`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path === "" ? "/commandcenter/api" : path}`;
}

/** Stack config first, then the environment; read at call time, never at module load. */
export function resolveSettings(config: RawSettings, env: NodeJS.ProcessEnv): ClientSettings {
  const get = (name: SettingName): string | undefined => {
    const v = config[name] ?? env[SETTINGS[name].env];
    return v === undefined || v === "" ? undefined : v;
  };
  const require = (name: SettingName, example: string): string => {
    const v = get(name);
    if (v === undefined) throw new ConfigError(`Missing Commvault setting ${SETTINGS[name].key}: ${how(name, example)}`);
    return v;
  };
  const settings: ClientSettings = {
    url: normaliseUrl(require("url", "https://commserve.example.com/commandcenter/api")),
    username: require("username", "<user>"),
    password: require("password", "<password>"),
  };
  const style = get("headerStyle");
  if (style !== undefined) {
    if (!(HEADER_STYLES as readonly string[]).includes(style)) {
      throw new ConfigError(`${SETTINGS.headerStyle.key} must be one of ${HEADER_STYLES.join(", ")}, got "${style}"`);
    }
    settings.headerStyle = style as HeaderStyle;
  }
  const timeout = get("timeoutSeconds");
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout) || Number(timeout) < 1) throw new ConfigError(`${SETTINGS.timeoutSeconds.key} must be a whole number of seconds >= 1, got "${timeout}"`);
    settings.timeoutMs = Number(timeout) * 1000;
  }
  const ca = get("caBundle");
  if (ca !== undefined) settings.caBundle = ca.includes("-----BEGIN") ? ca : readCaFile(ca);
  const insecure = get("insecureSkipVerify");
  if (insecure !== undefined) {
    if (!/^(true|false)$/i.test(insecure)) throw new ConfigError(`${SETTINGS.insecureSkipVerify.key} must be true or false, got "${insecure}"`);
    settings.insecureSkipVerify = insecure.toLowerCase() === "true";
  }
  return settings;
}

function readCaFile(path: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${SETTINGS.caBundle.key} is neither PEM text nor a readable file: ${(e as Error).message}`);
  }
}
