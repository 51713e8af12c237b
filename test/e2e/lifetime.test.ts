import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { RenewingConsumer, sharedClock } from "../helpers/time";

jest.setTimeout(600_000);

const PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
for (const [key, args] of Object.entries(spec)) new AccessToken(key, args);
`;

/**
 * Issue 8 under the plain `pulumi` CLI, with the provider's clock (COMMVAULT_TOKENS_NOW) and the
 * emulator's moved in step across 37 days: the drift gate fails for a dead, a due-to-extend, a
 * due-to-rotate and a due-to-retire token and passes otherwise, and `up` makes exactly the calls.
 */
describe("end to end: tokens over time, under the plain CLI", () => {
  const h = useEmulator({}, { fresh: false });
  const clock = sharedClock(h);
  let cli: PlainCli;
  let dir: string;
  const consumers = new Map<string, RenewingConsumer>();
  const store = () => h.running.emulator.store.data;
  const env = () => ({ COMMVAULT_TOKENS_NOW: String(clock.now()) });
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, env());
  const gate = () => pulumi("preview", "--refresh", "--diff", "--expect-no-changes");
  /** What `up` did to the server: writes that succeeded, logins and lists aside. */
  let mark = 0;
  const markLog = () => (mark = h.running.emulator.log.length);
  const writes = () =>
    h.running.emulator.log.slice(mark).filter((e) => e.method !== "GET" && e.path !== "/login" && e.status === 200 && !e.path.endsWith("/renew")).map((e) => `${e.method} ${e.path}`).sort();
  const idOf = (name: string) => store().tokens.find((t) => t.tokenName === name)!.accessTokenId;
  /** A consumer for the token now holding `name`, starting from the pair the server issued. */
  const consume = (name: string) => {
    const t = store().tokens.find((x) => x.tokenName === name)!;
    consumers.set(name, new RenewingConsumer(h, { accessToken: t.accessToken, refreshToken: t.refreshToken! }));
  };
  const renewAll = async () => {
    for (const c of consumers.values()) await c.renew();
  };
  const renewals = () => [...consumers.values(), ...retired].reduce((n, c) => n + c.renewals, 0);
  const retired: RenewingConsumer[] = [];
  const failedGate = (r: CliResult) => {
    expect(r.code).toBe(7);
    return r.stdout + r.stderr;
  };

  beforeAll(async () => {
    clock.day(0);
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: lifetime\nruntime: nodejs\n" });
    fs.writeFileSync(
      path.join(dir, "spec.json"),
      JSON.stringify({
        plain: { name: "plain" },
        idle: { name: "idle" },
        rolling: { name: "rolling", renewableFor: "30d", extendWhenLeft: "10d" },
        rotating: { name: "rotating", rotation: { everyDays: 30, overlapDays: 7 } },
        scim: { name: "scim", scope: "MicrosoftSCIM" },
      }),
    );
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("up", "--yes", "--skip-preview"));
    for (const name of ["plain", "rolling", "rotating"]) consume(name);
  });
  afterAll(() => clock.reset());

  test("day 0 and day 10: nothing is due, the gate passes", async () => {
    ok(await gate());
    clock.day(10);
    await renewAll();
    ok(await gate());
  });

  test("day 20: a rolling lifetime due to extend and a token whose refresh window lapsed fail the gate; up extends one in place and replaces the other", async () => {
    clock.day(20);
    await renewAll();
    const out = failedGate(await gate());
    expect(out).toMatch(/renewableUntil\s*:\s*"[^"]+" => "[^"]+"/);
    expect(out).toMatch(/access token "idle" \(id \d+\) is dead: its refresh window lapsed/);
    const before = { rolling: idOf("rolling"), idle: idOf("idle") };
    markLog();
    ok(await pulumi("up", "--refresh", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`DELETE /v4/accesstoken/${before.idle}`, "POST /v4/accesstoken", `PUT /v4/accesstoken/${before.rolling}`].sort());
    expect(idOf("rolling")).toBe(before.rolling);
    consume("idle");
    ok(await gate());
  });

  test("day 30: a rotation is due; up renames the token aside and creates the new generation, the old one keeps working", async () => {
    clock.day(30);
    await renewAll();
    const out = failedGate(await gate());
    expect(out).toMatch(/generation\s*:\s*1 => 2/);
    expect(out).toMatch(/a rotation is due \(rotation was due on .*\); `pulumi up` creates generation 2 under "rotating"/);
    const old = idOf("rotating");
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${old}`, "POST /v4/accesstoken"].sort());
    expect(store().tokens.find((t) => t.accessTokenId === old)!.tokenName).toBe("rotating~g1");
    retired.push(consumers.get("rotating")!);
    consume("rotating");
    ok(await gate());
  });

  test("day 31: a Microsoft SCIM token past its default life is dead; up extends it in place", async () => {
    clock.day(31);
    await renewAll();
    await retired[0]!.renew();
    const out = failedGate(await gate());
    expect(out).toMatch(/access token "scim" \(id \d+\) is dead: expired .* has passed; `pulumi up` extends it in place/);
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${idOf("scim")}`]);
    ok(await gate());
  });

  test("day 37: the overlap ended; up retires the old token with one DELETE, and the provider never renewed", async () => {
    clock.day(37);
    await renewAll();
    await retired[0]!.renew();
    const out = failedGate(await gate());
    expect(out).toMatch(/the overlap of the previous token \d+ \("rotating~g1"\) ended on .*; `pulumi up` revokes it/);
    const old = store().tokens.find((t) => t.tokenName === "rotating~g1")!.accessTokenId;
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`DELETE /v4/accesstoken/${old}`]);
    expect(await retired[0]!.works()).toBe(false);
    for (const c of consumers.values()) {
      await c.renew();
      expect(await c.works()).toBe(true);
    }
    ok(await gate());
    // Every renewal the emulator saw in 37 days of runs was a consumer's: the provider made none.
    const allRenews = h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length;
    expect(allRenews).toBe(renewals());
    expect(renewals()).toBeGreaterThan(10);
  });
});
