import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { setNoteSink } from "../../provider/connection/runtime";
import { LIST_ACCESS_TOKENS } from "../../plugin/door";
import { listen } from "../../plugin/server";
import schema from "../../plugin/schema.json";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";

const struct = (o: object) => structproto.Struct.fromJavaScript(o as Record<string, structproto.JavaScriptValue>);

/** The plugin's listAccessTokens invoke over gRPC: the core's list through the provider's configured client. */
describe("plugin invoke commvault:index:listAccessTokens", () => {
  const h = useEmulator();
  let server: grpc.Server;
  let client: provrpc.ResourceProviderClient;
  type Method<Req, Res> = (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown;
  const call = <Req, Res>(method: Method<Req, Res>, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (e: grpc.ServiceError | null, r: Res) => (e ? reject(e) : resolve(r))));
  const invoke = async (tok: string, args: object) =>
    (await call<provproto.InvokeRequest, provproto.InvokeResponse>(client.invoke, new provproto.InvokeRequest().setTok(tok).setArgs(struct(args)))).getReturn()!.toJavaScript();

  beforeAll(async () => {
    const l = await listen();
    server = l.server;
    client = new provrpc.ResourceProviderClient(`127.0.0.1:${l.port}`, grpc.credentials.createInsecure());
  });
  beforeEach(async () => {
    const req = new provproto.ConfigureRequest();
    for (const [k, v] of Object.entries({ url: h.running.url, username: ADMIN.username, password: ADMIN.password })) req.getVariablesMap().set(`commvault:config:${k}`, v);
    await call<provproto.ConfigureRequest, provproto.ConfigureResponse>(client.configure, req);
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
    setNoteSink(undefined);
  });

  test("is the schema's function, and lists a user's tokens without secrets", async () => {
    expect(Object.keys(schema.functions)).toEqual([LIST_ACCESS_TOKENS]);
    const made = (await h.api.create(h.admin, { tokenName: "by-hand", userId: SVC_BACKUP, allowedIPs: ["10.0.0.1/32"] })).body.tokenInfo as { accessTokenId: number; accessToken: string };
    await h.api.create(h.admin, { tokenName: "mine" });
    const r = await invoke(LIST_ACCESS_TOKENS, { userName: "svc-backup" });
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const listed = { tokenId: made.accessTokenId, name: "by-hand", scope: "All", userId: SVC_BACKUP, userName: "svc-backup", ipAllowlist: ["10.0.0.1"], createdAt: at, renewableUntil: at, accessTokenExpiresAt: at };
    expect(r).toEqual({ tokens: [listed] });
    expect(JSON.stringify(r)).not.toContain(made.accessToken);
    const mine = (await invoke(LIST_ACCESS_TOKENS, {})) as { tokens: { name: string }[] };
    expect(mine.tokens.map((t) => t.name)).toEqual(["mine"]);
  });

  test("a server without a profile, and a function it does not have, fail with what to do", async () => {
    await expect(invoke(LIST_ACCESS_TOKENS, { server: "dr" })).rejects.toThrow(/no CommServe profile "dr" is configured: set it with `pulumi config set --path commvault:servers.dr.url/);
    await expect(invoke("commvault:index:getToken", {})).rejects.toThrow(/unknown function commvault:index:getToken; this provider serves commvault:index:listAccessTokens/);
  });
});
