#!/usr/bin/env node
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CommvaultClient } from "../client/client";
import { ConfigError, SETTINGS, resolveSettings } from "../connection/config";
import { readServer } from "../model/adopt";
import { discover, stderrProgress } from "./discover";
import { isAside, renderProgram } from "./program";

const USAGE = `Usage: pulumi-commvault-tokens discover [--users <names or ids> | --all-users | --mine] [--server <profile>] [--out <file>] [--force]

Lists the Commvault access tokens the login can see and writes a Pulumi program (TypeScript) with
one AccessToken per token, each with adopt: { tokenId }, so that \`pulumi up\` takes them over with
no write. No secret is read or written: Commvault never shows a token's secret again.

  --users a,b        only these users' tokens (names or ids); default: every user the login may
                     list (all users for an administrator, else only the logged-in user)
  --all-users        every user's tokens; fails if the login may not list them all
  --mine             only the logged-in user's tokens
  --server <name>    write server: "<name>" on each token, for a program whose stack config has the
                     profile commvault:servers.<name>; the listing still uses COMMVAULT_*
  --out <file>       where to write the program; default index.ts; "-" prints it
  --force            overwrite an existing file

Connection, from the environment only (a password in a flag would land in shell history):
  ${Object.values(SETTINGS).map((s) => s.env).join(", ")}
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`pulumi-commvault-tokens discover: ${message}\n`);
  process.exit(code);
}

function nextSteps(file: string, count: number, users: number, server: string | undefined): string {
  const dir = path.dirname(path.resolve(file));
  const lines = [`wrote ${file}: ${count} access token${count === 1 ? "" : "s"} of ${users} user${users === 1 ? "" : "s"}, each to adopt.`];
  if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    lines.push(
      "In its folder, add a Pulumi.yaml:",
      "  name: commvault-tokens",
      "  runtime:",
      "    name: nodejs",
      "    options:",
      "      typescript: true",
      "and install the package: npm install @pulumi/pulumi pulumi-commvault-tokens typescript @types/node",
    );
  }
  const key = (name: string) => (server === undefined ? `commvault:${name}` : `--path commvault:servers.${server}.${name}`);
  lines.push(
    "Then:",
    "  pulumi stack init <stack>",
    `  pulumi config set ${key("url")} <the same URL>`,
    `  pulumi config set ${key("username")} <the same user>`,
    `  pulumi config set --secret ${key("password")}           # prompts for it`,
    "  pulumi up                                      # adopts every token: no create, no revoke",
    "  pulumi preview --refresh --expect-no-changes   # passes",
  );
  return lines.join("\n") + "\n";
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== "discover") fail(`unknown command "${command}"\n\n${USAGE}`, 2);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { users: { type: "string" }, "all-users": { type: "boolean" }, mine: { type: "boolean" }, server: { type: "string" }, out: { type: "string" }, force: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n\n${USAGE}`, 2);
  }
  if (values.help) return void process.stdout.write(USAGE);
  if ([values.users !== undefined, values["all-users"], values.mine].filter(Boolean).length > 1) fail("--users, --all-users and --mine each say whose tokens: give one", 2);
  const users = values.users?.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (values.users !== undefined && !users?.length) fail("--users names no user", 2);
  if (values.server !== undefined) {
    const r = readServer(values.server);
    if ("problem" in r) fail(`--server ${r.problem}`, 2);
  }
  const out = values.out ?? "index.ts";
  if (out !== "-" && fs.existsSync(out) && !values.force) fail(`${out} exists; use --force to overwrite it, or --out <file>`, 2);

  let settings;
  try {
    settings = resolveSettings({}, process.env);
  } catch (e) {
    if (e instanceof ConfigError) fail(`reads its settings from the environment only. ${e.message}`);
    throw e;
  }
  const client = new CommvaultClient(settings);
  let found;
  try {
    found = await discover(client, settings, { users, allUsers: values["all-users"], mine: values.mine, server: values.server }, stderrProgress());
  } catch (e) {
    await client.logout();
    // The client's errors are redacted already; redact once more for any other error's text.
    fail(client.redact((e as Error).message));
  }
  await client.logout();
  const program = renderProgram(found, new Date());
  if (out === "-") return void process.stdout.write(program);
  fs.writeFileSync(out, program);
  const count = found.users.reduce((n, u) => n + u.tokens.filter((t) => !isAside(t.name, u.tokens)).length, 0);
  process.stderr.write(nextSteps(out, count, found.users.length, values.server));
}

main(process.argv.slice(2)).catch((e: unknown) => fail((e as Error).message));
