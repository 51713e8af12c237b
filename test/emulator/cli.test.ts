import { spawn } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";

describe("emulator CLI", () => {
  test("prints the API base URL first, serves it, and honours --admin-password", async () => {
    const root = path.resolve(__dirname, "../..");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "emulator/cli.ts", "--port", "0", "--admin-password", "s3cret-pw"], { cwd: root });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
      });
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/commandcenter\/api$/);
      const login = async (password: string) =>
        (await (await fetch(`${first}/Login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: Buffer.from(password).toString("base64") }) })).json()) as { token?: string };
      expect((await login("s3cret-pw")).token).toMatch(/^QSDK /);
      expect((await login("admin-password")).token).toBeUndefined();
    } finally {
      child.kill("SIGTERM");
    }
  });
});
