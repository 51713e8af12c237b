import * as pulumiLog from "@pulumi/pulumi/log";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { WITHHELD, sealEngineLog, sealMessage } from "../../sdk/seal-logs";

const SECRET = "placeholder-secret,with,commas";
const secretValue = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: SECRET };

/** The line @pulumi/pulumi 3.248 (and 3.276) logs for each RegisterResource answer, built the same way. */
function registerLine(): string {
  const resp = new resproto.RegisterResourceResponse();
  resp.setUrn("urn:pulumi:dev::p::commvault:index:AccessToken::ci");
  resp.setObject(Struct.fromJavaScript({ name: "ci", accessToken: secretValue } as never));
  return `RegisterResource RPC finished: resource:ci[commvault:index:AccessToken]; err: null, resp: ${resp}`;
}

describe("sealMessage: a log entry that carries a secret loses its payload, others pass unchanged", () => {
  test("the SDK's RegisterResource answer line keeps its words and loses the answer", () => {
    const line = registerLine();
    expect(line).toContain(SECRET);
    expect(sealMessage(line)).toBe(`RegisterResource RPC finished: resource:ci[commvault:index:AccessToken]; err: null, resp: ${WITHHELD}`);
  });

  test("a JSON dump of inputs (obj=) with a secret, and a line with no known payload marker", () => {
    expect(sealMessage(`Invoke RPC prepared: tok=x, obj=${JSON.stringify({ a: secretValue })}`)).toBe(`Invoke RPC prepared: tok=x, obj=${WITHHELD}`);
    expect(sealMessage(`look: ${JSON.stringify(secretValue)}`)).toBe(WITHHELD);
  });

  test("a line without a secret is untouched", () => {
    const plain = "RegisterResource RPC finished: resource:x; err: null, resp: urn:x,1:2,name,,,n";
    expect(sealMessage(plain)).toBe(plain);
  });
});

describe("sealEngineLog wraps the engine client's log call, once", () => {
  test("what reaches the wire has the payload withheld; a second seal does not wrap again", () => {
    const proto = engrpc.EngineClient.prototype as unknown as Record<string, unknown>;
    const original = proto.log;
    const sent: string[] = [];
    // A stand-in for the gRPC call underneath, installed before the seal as the real one is.
    proto.log = function (req: engproto.LogRequest, cb: () => void) {
      sent.push(req.getMessage());
      cb();
    };
    try {
      expect(sealEngineLog()).toBe(true);
      const wrapped = proto.log;
      expect(sealEngineLog()).toBe(true);
      expect(proto.log).toBe(wrapped);
      const client = Object.create(engrpc.EngineClient.prototype) as engrpc.EngineClient;
      for (const message of [registerLine(), "plain"]) {
        const req = new engproto.LogRequest();
        req.setSeverity(engproto.LogSeverity.DEBUG);
        req.setMessage(message);
        client.log(req, () => undefined);
      }
      expect(sent).toHaveLength(2);
      expect(sent[0]).not.toContain(SECRET);
      expect(sent[0]).toContain(WITHHELD);
      expect(sent[1]).toBe("plain");
    } finally {
      proto.log = original;
    }
  });
});

describe("sealEngineLog also wraps @pulumi/pulumi's log functions, for a release that builds its engine client another way", () => {
  test("log.debug hands the engine a sealed message, even from an engine object that is no EngineClient", async () => {
    sealEngineLog();
    const settings = require("@pulumi/pulumi/runtime/settings") as { getEngine(): unknown };
    const sent: string[] = [];
    // No engine in a unit test: a stand-in, which the engine client's seal does not cover.
    const spy = jest.spyOn(settings, "getEngine").mockReturnValue({ log: (req: engproto.LogRequest, cb: () => void) => (sent.push(req.getMessage()), cb()) });
    try {
      await pulumiLog.debug(registerLine());
    } finally {
      spy.mockRestore();
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(WITHHELD);
    expect(sent[0]).not.toContain(SECRET);
  });
});
