/**
 * The main job: starts the emulator, deploys the root Pulumi.yaml program (demo/) against it on a
 * local file backend, prints the tokens with their secrets masked and where state lives, then
 * changes a token by hand, as someone in Command Center would, and shows the drift preview.
 *
 *   npm run demo              deploy (again: restores any drift), then show a drift preview
 *   npm run demo -- --destroy remove the demo's tokens and its stack
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { startEmulator } from "../emulator";
import { nowSeconds } from "../provider/connection/clock";
import { summarise, type LifeOutputs } from "../provider/model/summary";
import { ROOT, installPulumi, packAndInstall } from "./tooling";

const WORK = path.resolve(process.env.DEMO_DIR ?? path.join(ROOT, ".demo"));
const STATE = path.join(WORK, "state");
const PASSPHRASE = "demo-passphrase";
const ADMIN = { username: "admin", password: process.env.COMMVAULT_EMULATOR_ADMIN_PASSWORD ?? "admin-password" };
const say = (s = "") => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n== ${s}`);

async function main(): Promise<void> {
  const destroy = process.argv.includes("--destroy");
  step("Pulumi CLI");
  const pulumi = await PulumiCommand.get({ root: installPulumi() });
  say(`pulumi ${pulumi.version}`);

  step("Installing this package into demo/, the way a user installs it (npm pack + npm install)");
  packAndInstall(path.join(ROOT, "demo"), { linkPulumi: true, quiet: true });

  step("Starting the Commvault emulator");
  fs.mkdirSync(STATE, { recursive: true });
  // A fixed port: a refresh talks to the URL recorded with the state of the last deployment.
  const port = Number(process.env.DEMO_PORT ?? 8400);
  const emu = await startEmulator({ port, dataFile: path.join(WORK, "emulator.json") }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === "EADDRINUSE" ? new Error(`port ${port} is in use; run with DEMO_PORT=<another port>`) : e;
  });
  say(`API: ${emu.url}  (store: ${path.relative(process.cwd(), path.join(WORK, "emulator.json"))})`);
  try {
    const stack = await demoStack(pulumi, emu.url);
    if (destroy) {
      step("pulumi destroy");
      await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
      await stack.workspace.removeStack("demo");
      return;
    }
    step("pulumi up --refresh");
    const up = await stack.up({ refresh: true, onOutput: (s) => process.stdout.write(s) });
    printTokens(up.outputs);
    printState();
    await showDrift(stack, emu.url);
  } finally {
    await emu.close();
  }
}

async function demoStack(pulumi: PulumiCommand, url: string): Promise<Stack> {
  // The program is demo/index.ts, evaluated afresh on each run; the engine runs the provider in
  // demo/, where the installed package lives.
  const entry = path.join(ROOT, "demo", "index.ts");
  const program = async () => {
    delete require.cache[require.resolve(entry)];
    return require(entry) as Record<string, unknown>;
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "demo", projectName: "commvault-tokens-demo", program },
    {
      workDir: ROOT,
      pulumiCommand: pulumi,
      pulumiHome: path.join(WORK, "pulumi-home"),
      envVars: { PULUMI_BACKEND_URL: `file://${STATE}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true" },
    },
  );
  await stack.setAllConfig({
    "commvault:url": { value: url },
    "commvault:username": { value: ADMIN.username },
    "commvault:password": { value: ADMIN.password, secret: true },
  });
  return stack;
}

interface Described extends LifeOutputs {
  name: string;
  owner: string;
  tokenId: number;
  allowlist: string[];
  generation?: number;
}

function printTokens(outputs: Record<string, { value: unknown; secret: boolean }>): void {
  step("Tokens");
  const rows = outputs.tokens!.value as Described[];
  const table = [["name", "scope", "owner", "id", "gen", "allow list", "secret", "health", "why", "next"]];
  for (const t of rows) {
    const life = summarise(t, nowSeconds());
    table.push([t.name, t.scope, t.owner, String(t.tokenId), String(t.generation ?? "-"), t.allowlist.join(" ") || "(anywhere)", "[secret]", life.health, life.why, life.next ?? "-"]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) say(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd());
  say(`\nThe drift gate \`pulumi preview --refresh --expect-no-changes\` fails (exit 7) when a token is dead or`);
  say("an extension, rotation or retirement is due; the preview's warnings say which and why.");
  say(`\nsecrets output is secret: ${outputs.secrets!.secret}. Reveal with:`);
  say(`  PULUMI_BACKEND_URL=file://${STATE} PULUMI_CONFIG_PASSPHRASE=${PASSPHRASE} pulumi stack output secrets --show-secrets -s demo`);
}

function printState(): void {
  step("State");
  const file = path.join(STATE, ".pulumi", "stacks", "commvault-tokens-demo", "demo.json");
  const text = fs.readFileSync(file, "utf8");
  const provider = /"__provider":\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? "";
  say(`state file: ${path.relative(process.cwd(), file)} (${text.length} bytes)`);
  say(`__provider per resource: ${JSON.parse(`"${provider}"`).length} bytes, a require of the installed package`);
  say(`access and refresh tokens in state: encrypted as secrets (grep the file: no plaintext token)`);
}

async function showDrift(stack: Stack, url: string): Promise<void> {
  step("Drift: someone edits ci-pipeline by hand in Command Center (renamed, allow list opened to all)");
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + p, { method: p.startsWith("/V4/AccessToken/") ? "PUT" : "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
  const login = (await (await post("/Login", { username: ADMIN.username, password: Buffer.from(ADMIN.password).toString("base64") })).json()) as { token: string };
  const outputs = await stack.outputs();
  const ci = (outputs.tokens!.value as Described[]).find((t) => t.name === "ci-pipeline")!;
  await post(`/V4/AccessToken/${ci.tokenId}`, { tokenName: "ci-pipeline-temp", allowedIPs: [] }, { Authtoken: login.token });

  step("pulumi preview --refresh --diff");
  await stack.preview({ refresh: true, diff: true, onOutput: (s) => process.stdout.write(s) });
  say("\nRun `npm run demo` again to deploy with --refresh and restore the token; `npm run demo -- --destroy` to remove it all.");
}

main().catch((e: Error) => {
  process.stderr.write(`demo failed: ${e.message}\n`);
  process.exit(1);
});
