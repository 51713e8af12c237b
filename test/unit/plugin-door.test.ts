import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { provider } from "../../provider/lifecycle/provider";
import { forbiddenScopeChangeMessage } from "../../provider/model/scope";
import { setNoteSink } from "../../provider/connection/runtime";
import { VERSION, failure, listen } from "../../plugin/server";
import { configOf, outputs, SECRET_SIG, SIG_KEY } from "../../plugin/wire";

const URN = "urn:pulumi:dev::p::commvault:index:AccessToken::t";
const struct = (o: object) => structproto.Struct.fromJavaScript(o as Record<string, structproto.JavaScriptValue>);

/** The door over gRPC, in this process: what the engine sends and what it gets back. */
describe("plugin door", () => {
  let server: grpc.Server;
  let client: provrpc.ResourceProviderClient;
  type Method<Req, Res> = (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown;
  const call = <Req, Res>(method: Method<Req, Res>, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (e: grpc.ServiceError | null, r: Res) => (e ? reject(e) : resolve(r))));
  const getSchema = (req: provproto.GetSchemaRequest) => call<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(client.getSchema, req);
  const configure = (req: provproto.ConfigureRequest) => call<provproto.ConfigureRequest, provproto.ConfigureResponse>(client.configure, req);
  const check = (req: provproto.CheckRequest) => call<provproto.CheckRequest, provproto.CheckResponse>(client.check, req);

  beforeAll(async () => {
    const l = await listen();
    server = l.server;
    client = new provrpc.ResourceProviderClient(`127.0.0.1:${l.port}`, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
    setNoteSink(undefined);
  });

  test("serves the schema with the package's version", async () => {
    const r = await getSchema(new provproto.GetSchemaRequest());
    const schema = JSON.parse(r.getSchema()) as { name: string; version: string; resources: object };
    expect(schema).toMatchObject({ name: "commvault", version: VERSION });
    expect(Object.keys(schema.resources)).toEqual(["commvault:index:AccessToken"]);
  });

  test("takes secrets marked, so that it can keep them out of messages", async () => {
    const r = await configure(new provproto.ConfigureRequest());
    expect(r.getAcceptsecrets()).toBe(true);
    expect([...configOf([["commvault:config:url", "u"], ["commvault:config:password", "p"]])]).toEqual([["commvault:url", "u"], ["commvault:password", "p"]]);
  });

  test("check answers what the core's check answers: the refusal of a forbidden scope change, word for word", async () => {
    const olds = { name: "scim", scope: "MicrosoftSCIM", ipAllowlist: [], replaceOnForbiddenScopeChange: false };
    const news = { name: "scim", scope: "All" };
    const req = new provproto.CheckRequest().setUrn(URN).setOlds(struct(olds)).setNews(struct(news));
    const r = await check(req);
    const failures = r.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
    expect(failures).toEqual([{ property: "scope", reason: forbiddenScopeChangeMessage("MicrosoftSCIM", "All") }]);
    expect(failures).toEqual((await provider.check!(olds, news)).failures);
  });

  test("a nested refusal goes as the resource's, naming its field first (the engine would print `value {<nil>}`)", async () => {
    // This checkout's Pulumi.yaml says nodejs: the schema's spelling, as the dynamic provider gives it.
    const news = { name: "ci", rotation: { everyDayz: 30 } };
    const r = await check(new provproto.CheckRequest().setUrn(URN).setOlds(struct({})).setNews(struct(news)));
    const failures = r.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
    expect(failures).toEqual([{ property: "", reason: "rotation.everyDayz: `everyDayz` is not an AccessToken rotation input; did you mean `everyDays`?" }]);
    expect((await provider.check!({}, news)).failures).toEqual([{ property: "rotation.everyDayz", reason: failures[0]!.reason.replace("rotation.everyDayz: ", "") }]);
  });

  test("a secret input is [secret] in check's refusals, and stays secret in the inputs it returns", async () => {
    const sealed = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
    const news = { name: sealed("rev20-SECRETNAME"), ipAllowlist: [sealed("10.66.0.0/33")], renewableUntil: sealed("2027-13-45T00:00:00Z") };
    const r = await check(new provproto.CheckRequest().setUrn(URN).setOlds(struct({})).setNews(struct(news)));
    const reasons = r.getFailuresList().map((f) => f.getReason());
    // The core quotes both values; the door shows neither.
    const plainReasons = ((await provider.check!({}, { name: "rev20-SECRETNAME", ipAllowlist: ["10.66.0.0/33"], renewableUntil: "2027-13-45T00:00:00Z" })).failures ?? []).map((f) => f.reason);
    expect(plainReasons.join("\n")).toMatch(/10\.66\.0\.0\/33[\s\S]*2027-13-45|2027-13-45[\s\S]*10\.66\.0\.0\/33/);
    expect(reasons).toHaveLength(plainReasons.length);
    expect(reasons.join("\n")).toContain("[secret]");
    expect(reasons.join("\n")).not.toMatch(/10\.66\.0\.0\/33|2027-13-45|SECRETNAME/);
    const inputs = r.getInputs()!.toJavaScript() as Record<string, unknown>;
    expect(inputs.name).toEqual(sealed("rev20-SECRETNAME"));
  });

  test("check returns the core's canonical inputs", async () => {
    const news = { name: "ci", ipAllowlist: ["10.0.0.1/32", "10.0.0.1", "2001:DB8::1"] };
    const r = await check(new provproto.CheckRequest().setUrn(URN).setOlds(struct({})).setNews(struct(news)));
    expect(r.getFailuresList()).toEqual([]);
    expect(r.getInputs()!.toJavaScript()).toEqual((await provider.check!({}, news)).inputs);
  });

  test("marks accessToken and refreshToken secret on the way out, and nothing else", () => {
    const out = outputs({ name: "n", accessToken: "a", refreshToken: "r", tokenId: 1, gone: undefined });
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
    expect(out).toEqual({ name: "n", tokenId: 1, accessToken: { ...secret, value: "a" }, refreshToken: { ...secret, value: "r" } });
  });

  test("a create whose answer was lost becomes the engine's init failure, so state keeps the resource", () => {
    const e = Object.assign(new Error("lost"), { id: "1:pending", properties: { name: "n", pendingRecreate: "lost" }, reasons: ["lost"] });
    const f = failure(e);
    const status = statusproto.Status.deserializeBinary(f.metadata!.get("grpc-status-details-bin")[0] as Buffer);
    const any = status.getDetailsList()[0]!;
    expect(any.getTypeName()).toBe("pulumirpc.ErrorResourceInitFailed");
    const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
    expect([detail.getId(), detail.getProperties()!.toJavaScript(), detail.getReasonsList()]).toEqual(["1:pending", { name: "n", pendingRecreate: "lost" }, ["lost"]]);
    expect(failure(new Error("plain")).metadata!.get("grpc-status-details-bin")).toEqual([]);
  });
});
