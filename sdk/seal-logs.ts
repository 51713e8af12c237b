/**
 * Keeps secrets out of what a Node.js program logs to the engine.
 *
 * `@pulumi/pulumi` (3.248 and every later release up to at least 3.276) sends the engine a
 * debug-level log entry with each RegisterResource, ReadResource, Invoke and Call answer
 * (`RegisterResource RPC finished: ... resp: ${innerResponse}`): the protobuf's text, where a
 * secret output stands in plaintext next to Pulumi's secret marker. `pulumi up --debug` prints
 * those entries, and `-v=9 --logtostderr` writes them to stderr. Every one of them, and every
 * other entry the program's process sends (a user's `pulumi.log.debug`, `obj=` dumps of inputs),
 * goes through one call: the engine client's `log`. Sealing that call, rather than the SDK
 * functions that format the text, holds whatever line an SDK release adds or rewords.
 *
 * A message that carries Pulumi's secret marker keeps its own words up to the payload and loses
 * the payload: the text form of a protobuf has no delimiters, so a secret with a comma in it
 * could not be cut out exactly. Messages without a secret pass unchanged.
 */

import { SECRET_SIG } from "../provider/model/envelope";

/** Pulumi's wire markers (runtime/rpc.js): a secret value, and an output value that may be one. */
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** Where the SDK's RPC lines start their payload: `resp: `, `obj=`, `props=`, `outputs=`. */
const PAYLOAD = /resp: |obj=|props=|outputs=/;
export const WITHHELD = "<withheld by pulumi-commvault-tokens: it carries a secret value>";

/** The message with any payload that carries a secret withheld. */
export function sealMessage(message: string): string {
  if (!message.includes(SECRET_SIG) && !message.includes(OUTPUT_VALUE_SIG)) return message;
  const at = PAYLOAD.exec(message);
  return at ? `${message.slice(0, at.index + at[0].length)}${WITHHELD}` : WITHHELD;
}

interface LogRequestLike {
  getMessage?(): string;
  setMessage?(message: string): unknown;
}
type LogCall = (this: unknown, req: LogRequestLike, ...rest: unknown[]) => unknown;
const SEALED = Symbol.for("pulumi-commvault-tokens.sealed-engine-log");

/**
 * Seals the program's log to the engine, once per process, whatever copy of this package asks:
 * the engine client's `log` call (all that leaves the process), and, should a release build that
 * client another way, the `@pulumi/pulumi/log` functions every SDK line goes through. Returns
 * whether the engine client's call is sealed.
 */
export function sealEngineLog(): boolean {
  sealLogFunctions();
  return sealEngineClient();
}

/** The SDK's `log.debug/info/warn/error`: the runtime calls them through the module object. */
function sealLogFunctions(): void {
  let log: Record<string, unknown>;
  try {
    log = require("@pulumi/pulumi/log") as Record<string, unknown>;
  } catch {
    return;
  }
  for (const name of ["debug", "info", "warn", "error"]) {
    const original = log[name] as ((this: unknown, msg: unknown, ...rest: unknown[]) => unknown) & { [SEALED]?: true };
    if (typeof original !== "function" || original[SEALED]) continue;
    const wrapped: typeof original = function (this: unknown, msg, ...rest) {
      return original.call(this, typeof msg === "string" ? sealMessage(msg) : msg, ...rest);
    };
    wrapped[SEALED] = true;
    try {
      log[name] = wrapped;
    } catch {
      // A release whose exports cannot be assigned: the engine client's seal still holds.
    }
  }
}

function sealEngineClient(): boolean {
  let engrpc: { EngineClient?: { prototype: Record<string | symbol, unknown> } };
  try {
    engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof engrpc;
  } catch {
    return false;
  }
  const proto = engrpc.EngineClient?.prototype;
  if (!proto) return false;
  let sealed = false;
  for (const name of ["log", "Log"]) {
    const original = proto[name] as (LogCall & { [SEALED]?: true }) | undefined;
    if (typeof original !== "function") continue;
    sealed = true;
    if (original[SEALED]) continue;
    const wrapped: LogCall & { [SEALED]?: true } = function (this: unknown, req, ...rest) {
      const message = typeof req?.getMessage === "function" ? req.getMessage() : undefined;
      if (typeof message === "string") {
        const safe = sealMessage(message);
        if (safe !== message) req.setMessage?.(safe);
      }
      return original.call(this, req, ...rest);
    };
    wrapped[SEALED] = true;
    proto[name] = wrapped;
  }
  return sealed;
}
