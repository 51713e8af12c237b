/**
 * The engine's secret envelope (sdk/go/common/resource/sig): a value in it is stored encrypted in
 * state and marked secret in every program that reads it. A provider may put any output in one;
 * the engine keeps it secret whether or not the provider accepts secrets (provider_plugin.go
 * unmarshals outputs with KeepSecrets).
 */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Sealed {
  [SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

export const isSealed = (v: unknown): v is Sealed =>
  v !== null && typeof v === "object" && !Array.isArray(v) && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

/** A value in the envelope (once: a value already in one stays as it is). */
export const sealed = (value: unknown): Sealed => (isSealed(value) ? value : { [SIG_KEY]: SECRET_SIG, value });
