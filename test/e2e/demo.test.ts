import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/pack";

jest.setTimeout(300_000);

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The README's first command: the demo, twice (the second run restores the drift), then destroy. */
describe("the demo (npm run demo)", () => {
  test("deploys, masks secrets, shows state and a drift preview; runs again; destroys", async () => {
    const env = { ...process.env, DEMO_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "cv-demo-")), DEMO_PORT: String(await freePort()) };
    const demo = (...args: string[]) => run("npx", ["ts-node", "--transpile-only", "scripts/demo.ts", ...args], { cwd: ROOT, env, maxBuffer: 16 << 20 });

    const first = (await demo()).stdout;
    expect(first).toMatch(/\+ 5 created/);
    // Each token with its health, why, and what the next up does and when.
    expect(first).toMatch(/ci-pipeline\s+All\s+admin\s+\d+\s+1\s+10\.10\.0\.0\/16 2001:db8:10::\/48\s+\[secret\]\s+live\s+renewable until \d{4}-\d\d-\d\d\s+rotates \(new secret, old one kept for the overlap\) from \d{4}-\d\d-\d\d/);
    expect(first).toMatch(/entra-id-provisioning\s+MicrosoftSCIM\s+admin\s+\d+\s+-\s+\(anywhere\)\s+\[secret\]\s+live\s+expires \d{4}-\d\d-\d\d\s+extends in place \(rolling 30d, at 10d left\)/);
    expect(first).toMatch(/__provider per resource: 66 bytes, a require of the installed package/);
    expect(first).toMatch(/name\s+: "ci-pipeline" => "ci-pipeline-temp"/);
    expect(first).toMatch(/~ 1 to update/);
    const store = JSON.parse(fs.readFileSync(path.join(env.DEMO_DIR, "emulator.json"), "utf8")) as { tokens: { accessToken: string }[] };
    for (const t of store.tokens) expect(first).not.toContain(t.accessToken);

    const second = (await demo()).stdout;
    expect(second).toMatch(/~ 1 updated/);

    const destroyed = (await demo("--destroy")).stdout;
    expect(destroyed).toMatch(/- 5 deleted/);
  });
});
