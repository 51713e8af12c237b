import * as grpc from "@grpc/grpc-js";
import { AsyncLocalStorage } from "node:async_hooks";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import type { NoteSink } from "../provider/connection/runtime";
import { spoken } from "./language";
import { redact } from "./secrets";

/** The resource a call is about, so that a note lands under it in the run's diagnostics. */
export const current = new AsyncLocalStorage<string>();

const pending = new Set<Promise<void>>();

/** Waits until every note sent so far reached the engine: a call answers after its notes. */
export async function flushNotes(): Promise<void> {
  await Promise.all([...pending]);
}

/**
 * The core's notes (preview warnings, retries) as the engine's log entries under the resource:
 * the engine hides a plugin's stderr from users (it shows it only in verbose logs), unlike a
 * dynamic provider's. Without an engine address they go to stderr.
 */
export function engineSink(engineAddress: string | undefined): NoteSink | undefined {
  if (!engineAddress) return undefined;
  const engine = new engrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
  return (severity, message) => {
    const req = new engproto.LogRequest();
    req.setSeverity(severity === "warning" ? engproto.LogSeverity.WARNING : engproto.LogSeverity.INFO);
    req.setMessage(spoken(redact(message)));
    req.setUrn(current.getStore() ?? "");
    const sent = new Promise<void>((resolve) =>
      engine.log(req, (err) => {
        if (err) process.stderr.write(`${severity}: ${spoken(redact(message))}\n`);
        resolve();
      }),
    );
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
  };
}
