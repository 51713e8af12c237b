import { AsyncLocalStorage } from "node:async_hooks";
import { isSealed as isSecret, sealed as seal } from "../provider/model/envelope";

/**
 * Secret inputs, kept out of every message. The plugin accepts secrets (Configure answers
 * acceptSecrets=true), so the engine sends a value the program marked secret
 * (`pulumi.Output.secret("...")`) in its envelope. The core takes plain values: the door
 * unwraps them, remembers each secret's text for the call, and shows `[secret]` for it in every
 * note, refusal and error of that call, whatever core message quotes it. Since the engine then
 * no longer marks outputs secret itself, the door copies the secretness of inputs to outputs of
 * the same name, as the engine does for a provider that does not accept secrets.
 */

type Obj = Record<string, unknown>;

/** The secret texts of the current engine call (filled as its inputs are unwrapped). */
export const callSecrets = new AsyncLocalStorage<Set<string>>();

/** Every string and number inside a value, as text (a secret's parts each stay secret). */
function texts(v: unknown, into: Set<string>): void {
  if (typeof v === "string" && v !== "") into.add(v);
  else if (typeof v === "number") into.add(String(v));
  else if (Array.isArray(v)) v.forEach((x) => texts(x, into));
  else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => texts(x, into));
}

/** A value with its secret envelopes removed; the secrets' texts go to `secrets`. */
export function unwrap(v: unknown, secrets: Set<string> | undefined = callSecrets.getStore()): unknown {
  if (isSecret(v)) {
    const inner = unwrap(v.value, undefined);
    if (secrets) texts(inner, secrets);
    return inner;
  }
  if (Array.isArray(v)) return v.map((x) => unwrap(x, secrets));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, secrets)]));
  return v;
}

const hasSecrets = (v: unknown): boolean =>
  isSecret(v) || (Array.isArray(v) ? v.some(hasSecrets) : v !== null && typeof v === "object" && Object.values(v).some(hasSecrets));

/**
 * The engine's annotateSecrets (pkg/resource/plugin/provider_plugin.go): an output whose input of
 * the same name holds a secret is secret; two objects are compared key by key.
 */
export function annotate(outs: Obj, ins: Obj): Obj {
  const result: Obj = { ...outs };
  for (const [key, inValue] of Object.entries(ins)) {
    if (!(key in result)) continue;
    const out = result[key];
    const bothObjects = [out, inValue].every((x) => x !== null && typeof x === "object" && !Array.isArray(x));
    if (bothObjects && !isSecret(inValue) && !isSecret(out)) result[key] = annotate(out as Obj, inValue as Obj);
    else if (hasSecrets(inValue)) result[key] = seal(out);
  }
  return result;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A message with each secret text shown as `[secret]` (a number only as a whole number, not inside a date). */
export function redact(text: string, secrets: Set<string> | undefined = callSecrets.getStore()): string {
  if (!secrets || secrets.size === 0) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = /^\d+(\.\d+)?$/.test(s) ? out.replace(new RegExp(`(?<![\\w.:-])${escape(s)}(?![\\w.:-])`, "g"), "[secret]") : out.split(s).join("[secret]");
  }
  return out;
}
