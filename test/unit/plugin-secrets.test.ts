import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { annotate, callSecrets, redact, unwrap } from "../../plugin/secrets";
import { failure } from "../../plugin/server";
import { SECRET_SIG, SIG_KEY } from "../../plugin/wire";

const sealed = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

/** Secret inputs through the plugin door: unwrapped for the core, kept out of every message, secret again on the way out. */
describe("plugin secrets", () => {
  test("unwraps the engine's envelopes and remembers each secret's text", () => {
    const secrets = new Set<string>();
    const plainInputs = unwrap({ name: sealed("n1"), ipAllowlist: [sealed("10.0.0.0/8"), "10.1.0.0/16"], rotation: sealed({ everyDays: 30 }), scope: "All" }, secrets);
    expect(plainInputs).toEqual({ name: "n1", ipAllowlist: ["10.0.0.0/8", "10.1.0.0/16"], rotation: { everyDays: 30 }, scope: "All" });
    expect([...secrets].sort()).toEqual(["10.0.0.0/8", "30", "n1"]);
  });

  test("shows [secret] for each secret text in a message; a secret number only as a whole number", () => {
    const secrets = new Set(["rev20-py-SECRETNAME", "22"]);
    expect(redact('access token "rev20-py-SECRETNAME" (id 141): user 22 expires 2027-01-22T00:00:00Z', secrets)).toBe(
      'access token "[secret]" (id 141): user [secret] expires 2027-01-22T00:00:00Z',
    );
    expect(redact("no secrets here", new Set())).toBe("no secrets here");
  });

  test("copies secretness from inputs to outputs of the same name, as the engine does for a provider that does not take secrets", () => {
    const outs = annotate({ name: "n1", ipAllowlist: ["10.0.0.0/8"], rotation: { everyDays: 30, overlapDays: 1 }, tokenId: 5, accessToken: sealed("a") }, {
      name: sealed("n1"),
      ipAllowlist: [sealed("10.0.0.0/8")],
      rotation: { everyDays: sealed(30) },
      accessToken: sealed("x"),
    });
    expect(outs).toEqual({ name: sealed("n1"), ipAllowlist: sealed(["10.0.0.0/8"]), rotation: { everyDays: sealed(30), overlapDays: 1 }, tokenId: 5, accessToken: sealed("a") });
  });

  test("an error of a call with secret inputs, and its partial failure's reasons, show [secret]", () => {
    const e = Object.assign(new Error('renewableUntil "2027-13-45T00:00:00Z" is not a date'), { id: "1:pending", properties: {}, reasons: ['name "SECRETNAME" lost'] });
    const f = callSecrets.run(new Set(["2027-13-45T00:00:00Z", "SECRETNAME"]), () => failure(e));
    expect(f.details).toBe('renewableUntil "[secret]" is not a date');
    expect(f.metadata!.get("grpc-status-details-bin")[0]!.toString("latin1")).not.toContain("SECRETNAME");
  });
});

describe("the plugin's errors in the program's spelling", () => {
  test("a Python project's error names fields as Python does, its secrets still [secret]", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pyproject-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: p\nruntime:\n  name: python\n");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      jest.isolateModules(() => {
        const server = require("../../plugin/server") as typeof import("../../plugin/server");
        const secrets = require("../../plugin/secrets") as typeof import("../../plugin/secrets");
        const e = new Error('userName "SECRET-OWNER" is not a Commvault user the logged-in user can see; check the owner\'s id or name in Command Center (Manage > Security > Users)');
        const f = secrets.callSecrets.run(new Set(["SECRET-OWNER"]), () => server.failure(e));
        expect(f.details).toBe('user_name "[secret]" is not a Commvault user the logged-in user can see; check the owner\'s id or name in Command Center (Manage > Security > Users)');
      });
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
