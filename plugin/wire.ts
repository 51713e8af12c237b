/**
 * Values between the engine's wire format and the core's plain objects. The secret outputs of the
 * resource (accessToken, refreshToken) are marked here, with the engine's secret envelope; secret
 * inputs are unwrapped, and their secretness copied to outputs, in secrets.ts.
 */

/** The engine's signature key and the value that marks a secret (sdk/go/common/resource/sig). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Outputs that are always secret (schema: `secret: true`). */
export const SECRET_OUTPUTS = ["accessToken", "refreshToken"] as const;

type Obj = Record<string, unknown>;

/** A plain copy without undefined values (a Struct cannot hold them). */
export function plain(value: unknown): Obj {
  return value === undefined || value === null ? {} : (JSON.parse(JSON.stringify(value)) as Obj);
}

/** Outputs for the engine: plain, with the secret outputs in the secret envelope. */
export function outputs(value: unknown): Obj {
  const out = plain(value);
  for (const key of SECRET_OUTPUTS) if (out[key] !== undefined) out[key] = { [SIG_KEY]: SECRET_SIG, value: out[key] };
  return out;
}

/** The provider's settings from Configure's variables (`commvault:config:url` → `commvault:url`). */
export function configOf(variables: Iterable<[string, string]>): Map<string, string> {
  const config = new Map<string, string>();
  for (const [key, value] of variables) config.set(key.replace(/^([^:]+):config:/, "$1:"), value);
  return config;
}
