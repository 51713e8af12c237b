import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { DAY, dayFloor, iso } from "../helpers/time";

jest.setTimeout(600_000);

const NODE_PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
for (const [key, args] of Object.entries(spec)) new AccessToken(key, args);
`;

const yamlProgram = (name: string, until: string) =>
  `name: clock-yaml\nruntime: yaml\nresources:\n  ${name}:\n    type: commvault:AccessToken\n    properties:\n      name: ${name}\n      renewableUntil: "${until}"\n`;

const all = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");

/**
 * Issue 19 item 6 under the plain `pulumi` CLI, through both doors: the CommServe's clock (the
 * emulator's, which dates every answer) runs two hours ahead of ours (COMMVAULT_TOKENS_NOW); the
 * program still declares a renewableUntil that lies between the two clocks, and someone extended
 * the token by hand, so the plan would PUT the declared date back. The preview warns with the
 * stale-date message naming both clocks, and `up` sends no PUT: the token stays as it is.
 */
interface Program {
  dir: string;
  /** Declares another renewableUntil, as a user edits the program. */
  redeclare(until: string): void;
}

function describeDoor(door: string, setup: (cli: PlainCli, name: string, until: string) => Program) {
  describe(`end to end: a declared date passed by the CommServe's clock only (${door})`, () => {
    const h = useEmulator({}, { fresh: false });
    let cli: PlainCli;
    let dir: string;
    let program: Program;
    const start = dayFloor(Math.floor(Date.now() / 1000)) + DAY / 2;
    const declared = start + 5 * DAY;
    const ours = declared - 3600;
    const servers = declared + 3600;
    const later = servers + 60 * DAY;
    const name = `clock-${door === "Node.js program" ? "node" : "yaml"}`;
    let now = start;
    const pulumi = (...args: string[]) => cli.pulumi(dir, args, { COMMVAULT_TOKENS_NOW: String(now) });
    const token = () => h.running.emulator.store.data.tokens.find((t) => t.tokenName === name)!;
    let mark = 0;
    const puts = () => h.running.emulator.log.slice(mark).filter((e) => e.method === "PUT");
    const stale =
      `access token "${name}" (id ID): the program declares renewableUntil: ${iso(declared)}, which has passed by the CommServe's clock, which is ahead of this machine's ` +
      `(the CommServe's clock said SERVER in its last answer; this machine's clock says ${iso(ours)}), while the token is renewable until ${iso(later)} (set outside Pulumi); ` +
      `a passed date cannot be sent. Set a later renewableUntil, or use a rolling lifetime (renewableFor) to have it extended in place, and check the CommServe's time`;
    /** The message, with the id and the server's time (to the second, as its last answer dated it) filled in. */
    const expectStale = (text: string) => {
      const [head, tail] = stale.replace("ID", String(token().accessTokenId)).split("SERVER");
      const at = text.indexOf(head!);
      expect(at).toBeGreaterThanOrEqual(0);
      const said = text.slice(at + head!.length, at + head!.length + 20);
      expect(Date.parse(said) / 1000).toBeGreaterThanOrEqual(servers);
      expect(Date.parse(said) / 1000).toBeLessThan(servers + 120);
      expect(text.slice(at + head!.length + 20)).toContain(tail!);
    };

    beforeAll(async () => {
      h.running.emulator.clock.set(start);
      cli = plainCli();
      program = setup(cli, name, iso(declared));
      dir = program.dir;
      ok(await pulumi("stack", "init", "dev"));
      ok(await pulumi("config", "set", "commvault:url", h.running.url));
      ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
      ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
      ok(await pulumi("up", "--yes", "--skip-preview"));
      expect(token().renewableUntilTimestamp).toBe(declared);
      // The server's clock two hours ahead of ours; the declared date lies between them.
      h.running.emulator.clock.set(servers);
      now = ours;
      const admin = await h.api.login(ADMIN.username, ADMIN.password);
      expect((await h.api.call("PUT", `/V4/AccessToken/${token().accessTokenId}`, { token: admin, body: { renewableUntilTimestamp: later } })).status).toBe(200);
    });

    test("preview --refresh warns with the stale-date message, naming both clocks; the drift gate fails", async () => {
      mark = h.running.emulator.log.length;
      const r = await pulumi("preview", "--refresh", "--diff", "--expect-no-changes");
      expect(r.code).toBe(7);
      expectStale(all(r));
      expect(all(r)).toContain("until then `pulumi up` leaves this token as it is (no call)");
      expect(puts()).toEqual([]);
    });

    test("after a plain refresh, a preview of its own (no refresh) learns the server's clock and warns the same", async () => {
      ok(await pulumi("refresh", "--yes"));
      mark = h.running.emulator.log.length;
      const r = await pulumi("preview", "--diff");
      expect(r.code).toBe(0);
      expectStale(all(r));
      expect(puts()).toEqual([]);
    });

    test("up sends no PUT and says why; the token stays as it is", async () => {
      mark = h.running.emulator.log.length;
      const r = await pulumi("up", "--yes", "--skip-preview");
      expect(r.code).toBe(0);
      expect(all(r)).toMatch(new RegExp(`access token "${name}" \\(1:${token().accessTokenId}\\) was left as it is: the program declares renewableUntil: ${iso(declared)}, which has passed by the CommServe's clock, which is ahead of this machine's`));
      expect(puts()).toEqual([]);
      expect(token().renewableUntilTimestamp).toBe(later);
      // Still drift until the program is fixed.
      expect((await pulumi("preview", "--refresh", "--expect-no-changes")).code).toBe(7);
    });

    test("with the server's clock behind ours, as before: the fixed program's later date is one PUT, and the gate passes", async () => {
      h.running.emulator.clock.set(ours - 3600);
      const fixed = ours + 10 * DAY;
      program.redeclare(iso(fixed));
      mark = h.running.emulator.log.length;
      const r = await pulumi("up", "--refresh", "--yes", "--skip-preview");
      expect(r.code).toBe(0);
      expect(all(r)).not.toContain("CommServe's clock");
      expect(puts().map((e) => [e.status, e.body])).toEqual([[200, { renewableUntilTimestamp: fixed }]]);
      expect(token().renewableUntilTimestamp).toBe(fixed);
      ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    });
  });
}

describeDoor("Node.js program", (cli, name, until) => {
  const dir = cli.program({ "index.js": NODE_PROGRAM, "Pulumi.yaml": "name: clock-node\nruntime: nodejs\n" });
  const redeclare = (at: string) => fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ [name]: { name, renewableUntil: at } }));
  redeclare(until);
  return { dir, redeclare };
});

describeDoor("YAML program through the plugin", (cli, name, until) => {
  // The plugin linked beside the CLI serves the compiled core of this checkout.
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const dir = cli.program({ "Pulumi.yaml": yamlProgram(name, until) });
  return { dir, redeclare: (at: string) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yamlProgram(name, at)) };
});
