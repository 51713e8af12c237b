/**
 * Values between the engine's wire format and the core's plain objects. The secret outputs of the
 * resource (accessToken, refreshToken) are marked here, with the engine's secret envelope; secret
 * inputs are unwrapped, and their secretness copied to outputs, in secrets.ts.
 */

import { DECLARED } from "../provider/lifecycle/mapping";
import { sealed } from "../provider/model/envelope";

export { SECRET_SIG, SIG_KEY } from "../provider/model/envelope";

/** Outputs that are always secret (schema: `secret: true`). */
export const SECRET_OUTPUTS = ["accessToken", "refreshToken"] as const;

type Obj = Record<string, unknown>;

/** A plain copy without undefined values (a Struct cannot hold them). */
export function plain(value: unknown): Obj {
  return value === undefined || value === null ? {} : (JSON.parse(JSON.stringify(value)) as Obj);
}

/**
 * Outputs for the engine: plain, with the secret outputs in the secret envelope, and without
 * `__inputs` unless `keepDeclared` (a read of state written before, which held it: giving it back
 * keeps a refresh of an unchanged token a no-op). `__inputs` is what the program declares of the
 * owner and lifetime, which the core keeps beside the outputs because a dynamic provider is never
 * given the old inputs; the engine gives the plugin the old inputs with every read (the only call
 * whose core reads it), so the plugin rebuilds it there (door.ts) and keeps it out of state: each
 * key of each token's state costs the engine time at every save of the state file, which grows
 * with the square of the stack's size (docs/benchmarks.md).
 */
export function outputs(value: unknown, keepDeclared = false): Obj {
  const out = plain(value);
  if (!keepDeclared) delete out[DECLARED];
  for (const key of SECRET_OUTPUTS) if (out[key] !== undefined) out[key] = sealed(out[key]);
  return out;
}

/** The provider's settings from Configure's variables (`commvault:config:url` → `commvault:url`). */
export function configOf(variables: Iterable<[string, string]>): Map<string, string> {
  const config = new Map<string, string>();
  for (const [key, value] of variables) config.set(key.replace(/^([^:]+):config:/, "$1:"), value);
  return config;
}
