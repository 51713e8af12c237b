import * as grpc from "@grpc/grpc-js";
import * as fs from "node:fs";
import * as path from "node:path";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import * as anyproto from "google-protobuf/google/protobuf/any_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { setNoteSink, setUrnSource } from "../provider/connection/runtime";
import { door } from "./door";
import { spoken } from "./language";
import { current, engineSink, flushNotes } from "./log";
import { annotate, callSecrets, redact, unwrap } from "./secrets";
import schema from "./schema.json";
import { configOf } from "./wire";

export const TYPE = "commvault:index:AccessToken";
/** The version of the package the plugin ships in: the nearest package.json above it. */
export const VERSION = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${__dirname}`);
  }
})();

type Obj = Record<string, unknown>;
type Callback<T> = (err: grpc.ServiceError | Partial<grpc.StatusObject> | null, value?: T | null, trailer?: grpc.Metadata) => void;

/** A Struct as the engine sent it (secrets in their envelopes). */
const raw = (s: structproto.Struct | undefined): Obj => (s?.toJavaScript() ?? {}) as Obj;
/** A Struct as the core takes it: plain, its secrets remembered for the call's messages. */
const js = (s: structproto.Struct | undefined): Obj => unwrap(raw(s)) as Obj;
const struct = (o: Obj) => structproto.Struct.fromJavaScript(o as Record<string, structproto.JavaScriptValue>);

/**
 * An error for the engine. A create that made a token it could not finish carries `id`,
 * `properties` and `reasons` (the core's partial failure): it becomes ErrorResourceInitFailed, so
 * the engine keeps the resource in state, as the dynamic provider's server does.
 */
export function failure(e: unknown): Partial<grpc.StatusObject> {
  const err = e as { message?: string; id?: string; properties?: Obj; reasons?: string[] };
  const message = spoken(redact(err.message ?? String(e)));
  const metadata = new grpc.Metadata();
  if (err.id) {
    const detail = new provproto.ErrorResourceInitFailed();
    detail.setId(err.id);
    detail.setProperties(struct(err.properties ?? {}));
    detail.setReasonsList((err.reasons ?? []).map((r) => spoken(redact(r))));
    const any = new anyproto.Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusproto.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(any);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}

/** One engine call: run under its resource's URN (for notes) and its secrets (kept out of messages), answer after its notes. */
function handle<Req, Res>(urnOf: (req: Req) => string, work: (req: Req) => Promise<Res>) {
  return (call: grpc.ServerUnaryCall<Req, Res>, callback: Callback<Res>) => {
    const secrets = new Set<string>();
    callSecrets
      .run(secrets, () => current.run(urnOf(call.request), () => work(call.request)))
      .then(
        async (res) => {
          await flushNotes();
          callback(null, res);
        },
        async (e: unknown) => {
          await flushNotes();
          const f = callSecrets.run(secrets, () => failure(e));
          callback(f, null, f.metadata);
        },
      );
  };
}

const noUrn = () => "";
const unimplemented = (what: string) => (_call: unknown, callback: Callback<never>) => callback({ code: grpc.status.UNIMPLEMENTED, details: `${what} is not implemented` });

function service(): Partial<provrpc.IResourceProviderServer> {
  return {
    getPluginInfo: handle(noUrn, async () => new plugproto.PluginInfo().setVersion(VERSION)),
    getSchema: handle(noUrn, async () => new provproto.GetSchemaResponse().setSchema(JSON.stringify({ ...schema, version: VERSION }))),
    // Provider settings are read by the core at call time, so the engine's defaults serve here.
    checkConfig: unimplemented("CheckConfig"),
    diffConfig: unimplemented("DiffConfig"),
    configure: handle(noUrn, async (req: provproto.ConfigureRequest) => {
      await door.configure(configOf(req.getVariablesMap().entries() as Iterable<[string, string]>));
      // Secret inputs come marked, so that the door can keep them out of messages (secrets.ts).
      return new provproto.ConfigureResponse().setAcceptsecrets(true).setSupportspreview(false);
    }),
    check: handle(
      (r) => r.getUrn(),
      async (req: provproto.CheckRequest) => {
        const r = await door.check(js(req.getOlds()), js(req.getNews()));
        const res = new provproto.CheckResponse().setInputs(struct(annotate(r.inputs as Obj, raw(req.getNews()))));
        res.setFailuresList((r.failures ?? []).map((f) => new provproto.CheckFailure().setProperty(f.property).setReason(redact(f.reason))));
        return res;
      },
    ),
    diff: handle(
      (r) => r.getUrn(),
      async (req: provproto.DiffRequest) => {
        const r = await door.diff(req.getId(), js(req.getOlds()), js(req.getNews()));
        const C = provproto.DiffResponse.DiffChanges;
        const res = new provproto.DiffResponse().setChanges(r.changes === true ? C.DIFF_SOME : r.changes === false ? C.DIFF_NONE : C.DIFF_UNKNOWN);
        return res.setReplacesList(r.replaces ?? []).setDeletebeforereplace(r.deleteBeforeReplace ?? false);
      },
    ),
    create: handle(
      (r) => r.getUrn(),
      async (req: provproto.CreateRequest) => {
        const ins = raw(req.getProperties());
        try {
          const r = await door.create(js(req.getProperties()));
          return new provproto.CreateResponse().setId(r.id).setProperties(struct(annotate(r.properties, ins)));
        } catch (e) {
          const partial = e as { id?: string; properties?: Obj };
          if (partial.id && partial.properties) partial.properties = annotate(partial.properties, ins);
          throw e;
        }
      },
    ),
    read: handle(
      (r) => r.getUrn(),
      async (req: provproto.ReadRequest) => {
        const r = await door.read(req.getId(), js(req.getProperties()), js(req.getInputs()));
        const res = new provproto.ReadResponse().setId(r.id).setProperties(struct(annotate(r.properties, raw(req.getProperties()))));
        return r.inputs ? res.setInputs(struct(annotate(r.inputs, raw(req.getInputs())))) : res;
      },
    ),
    update: handle(
      (r) => r.getUrn(),
      async (req: provproto.UpdateRequest) =>
        new provproto.UpdateResponse().setProperties(struct(annotate(await door.update(req.getId(), js(req.getOlds()), js(req.getNews())), raw(req.getNews())))),
    ),
    delete: handle(
      (r) => r.getUrn(),
      async (req: provproto.DeleteRequest) => {
        await door.delete(req.getId(), js(req.getProperties()));
        return new emptyproto.Empty();
      },
    ),
    invoke: handle(noUrn, async (req: provproto.InvokeRequest) => new provproto.InvokeResponse().setReturn(struct(await door.invoke(req.getTok(), js(req.getArgs()))))),
    cancel: handle(noUrn, async () => new emptyproto.Empty()),
  };
}

/** The provider's gRPC server on a free local port; notes go to the engine at `engineAddress`. */
export async function listen(engineAddress?: string): Promise<{ server: grpc.Server; port: number }> {
  setNoteSink(engineSink(engineAddress));
  // The engine names each call's resource: the core's messages can give the exact commands for it.
  setUrnSource(() => current.getStore());
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 << 20 });
  server.addService(provrpc.ResourceProviderService, service() as provrpc.IResourceProviderServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

/**
 * Serves the provider as a Pulumi resource plugin: the engine starts the launcher with its own
 * address as the first argument and reads the port from the first line of stdout.
 */
export async function serve(args: string[]): Promise<void> {
  const { port } = await listen(args.find((a) => !a.startsWith("-")));
  process.stdout.write(`${port}\n`);
}
