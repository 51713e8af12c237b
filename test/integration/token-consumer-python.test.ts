import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ADMIN, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { holdConsumerLock, killHard } from "../helpers/consumer-lock";
import { selfSignedCert } from "../helpers/tls";
import { projectPython, runPython } from "../helpers/venv";
import { parseStackOutput, runOnce } from "../../examples/token-consumer/consumer";
import { withLock } from "../../examples/token-consumer/state";

jest.setTimeout(120_000);

const CONSUMER = path.join(ROOT, "examples/token-consumer/python/consumer.py");

let python: string;
beforeAll(async () => {
  python = await projectPython();
}, 600_000);

/**
 * The Python token consumer (examples/token-consumer/python) against the emulator without Pulumi:
 * the ways a run can go wrong, each with the fix in its message, none with a secret, and never a
 * second renew of a pair whose renew got no usable answer. The Node.js consumer's refusal is checked
 * beside it, on the same state file. test/e2e/consumer-python.test.ts has the life across 38 days
 * under the plain CLI.
 */
describe.each([false, true])("the Python consumer's stops, errorsAsHttp200 %s", (errorsAsHttp200) => {
  const h = useEmulator({ variants: { errorsAsHttp200 } });
  let dir: string;
  let stateFile: string;
  let now: number;
  const renewCalls = () => h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length;
  const state = () => JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>;
  /** A token for svc-reporting, as the stack outputs hand it over. */
  const issue = async (name = "reporting-job", generation = 1) => {
    // A fresh admin session: the tests move the emulator's clock past the 30-minute idle timeout.
    const admin = await h.api.login(ADMIN.username, ADMIN.password);
    const r = await h.api.create(admin, { tokenName: name, userId: SVC_REPORTING });
    const t = r.body.tokenInfo as { accessTokenId: number; accessToken: string; refreshToken: string };
    return { tokenId: t.accessTokenId, generation, accessToken: t.accessToken, refreshToken: t.refreshToken };
  };
  const consume = async (outputs: Record<string, unknown>, extra: string[] = []) => {
    const file = path.join(dir, "stack-output.json");
    fs.writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
    const r = await runPython(python, [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", stateFile, ...extra], { env: { COMMVAULT_TOKENS_NOW: String(now) } });
    let held: Record<string, unknown> = {};
    try {
      held = state();
    } catch {
      // no state yet, or a garbled one (a test of that)
    }
    for (const secret of [outputs.accessToken, outputs.refreshToken, held.accessToken, held.refreshToken]) {
      if (typeof secret === "string") expect(r.stdout + r.stderr).not.toContain(secret);
    }
    return r;
  };
  const report = (r: { code: number; stdout: string; stderr: string }) => {
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pyconsumer-"));
    stateFile = path.join(dir, ".consumer", "state.json");
    now = h.running.emulator.clock.now();
  });

  test("a 5xx on the renew may come after the server committed: the consumer stops and never sends that pair again", async () => {
    const out = await issue();
    await h.api.ctl("POST", "faults", { kind: "status", status: 503, method: "POST", path: "/v4/accesstoken/renew", count: 1 });
    const first = await consume(out);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/token \d+: the renew answered HTTP 503 without a new pair; .*will not renew it again.*rotationTrigger \(Python rotation_trigger\) a new value in the program that declares it/);
    expect(state().renewSentAt).toBe(now);
    const again = await consume(out);
    expect(again.stderr).toMatch(/will not renew it again/);
    expect(renewCalls()).toBe(1);
  });

  test("a refusal changes nothing: the flag is cleared, and a new token in the stack outputs is taken up", async () => {
    const out = await issue();
    expect(report(await consume(out))).toMatchObject({ tokenId: out.tokenId, switched: true, renewed: true, user: "svc-reporting" });
    expect((await h.api.call("DELETE", `/V4/AccessToken/${out.tokenId}`, { token: h.admin })).status).toBe(200);
    now += 30 * 60;
    h.running.emulator.clock.set(now);
    const refused = await consume(out);
    expect(refused.stderr.trim()).toBe(`token-consumer: token ${out.tokenId}: Commvault refused the renew (Access token not found): the token no longer exists (retired, revoked, or replaced); the next run goes on, or switches to the stack's new token`);
    expect(state().renewSentAt).toBeUndefined();
    // The Node.js consumer, on the same state file, says the same.
    await expect(runOnce({ stackOutput: parseStackOutput(out), stateFile, apiUrl: h.running.url, now })).rejects.toThrow(refused.stderr.trim().replace(/^token-consumer: /, ""));
    expect(renewCalls()).toBe(3);
    const next = await issue("reporting-job-2", 2);
    expect(report(await consume(next))).toMatchObject({ tokenId: next.tokenId, generation: 2, switched: true, renewed: true });
    expect(state().adopted).toEqual([out.tokenId, next.tokenId]);
  });

  test("after the refresh window the token is dead: the consumer says so without a call", async () => {
    const out = await issue();
    report(await consume(out));
    const calls = renewCalls();
    now += 15 * 86_400;
    h.running.emulator.clock.set(now);
    const dead = await consume(out);
    expect(dead.stderr).toMatch(/token \d+ is dead: its refresh window ended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; `pulumi up --refresh` replaces it/);
    expect(renewCalls()).toBe(calls);
  });

  test("a token refused before its time by the consumer's clock (the server's runs ahead) is renewed once and used", async () => {
    const out = await issue();
    report(await consume(out));
    h.running.emulator.clock.set(now + 31 * 60); // the consumer's clock stays: 30 minutes left by it
    expect(report(await consume(out))).toMatchObject({ tokenId: out.tokenId, switched: false, renewed: true, user: "svc-reporting" });
    expect(renewCalls()).toBe(2);
  });

  test("bad inputs stop the run before anything is sent, each message naming the fix and quoting nothing", async () => {
    const out = await issue();
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ ...out, refreshToken: "[secret]" }, [], "the stack output's refreshToken is masked: write it with `pulumi stack output --json --show-secrets`"],
      [{ ...out, tokenId: "12" }, [], "the stack output's tokenId is a string, not a number: export the token's tokenId output itself (`pulumi stack output --json --show-secrets`), not a text made from it"],
      [{ ...out, tokenId: undefined }, [], "the stack output has no tokenId"],
      [{ tokenId: out.tokenId, sealedPair: "-----BEGIN AGE ENCRYPTED FILE-----\n" }, [], "the stack output's pair is sealed (sealedPair): pass --identity <age identity file>"],
    ];
    const identity = path.join(dir, "identity.txt");
    const keygen = await runPython(python, [path.join(ROOT, "test/python/age_tool.py"), "keygen", identity]);
    expect(keygen.code).toBe(0);
    for (const [outputs, extra, message] of cases) {
      const r = await consume(outputs, extra);
      expect([r.code, r.stderr.trim()]).toEqual([1, `token-consumer: ${message}`]);
    }
    // The Node.js consumer says the same of a tokenId of the wrong type, and of none.
    expect(() => parseStackOutput({ ...out, tokenId: "12" })).toThrow(cases[1]![2]);
    expect(() => parseStackOutput({ ...out, tokenId: undefined })).toThrow(cases[2]![2]);
    const noRefresh = await runPython(python, [path.join(ROOT, "test/python/age_tool.py"), "seal", keygen.stdout.trim()], { input: JSON.stringify({ accessToken: out.accessToken }) });
    const scimLike = await consume({ tokenId: out.tokenId, sealedPair: noRefresh.stdout }, ["--identity", identity]);
    expect(scimLike.stderr.trim()).toBe("token-consumer: the stack output's sealedPair holds no refreshToken: this consumer renews, so the token's scope must be All, Custom or Hyperscale");
    const notAge = await consume({ tokenId: out.tokenId, sealedPair: out.accessToken }, ["--identity", identity]);
    expect(notAge.stderr.trim()).toBe(`token-consumer: the stack output's sealedPair does not open with ${identity}: it was sealed to another recipient (check the stack's sealTo), or it is not an age file`);
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(stateFile, `{"accessToken": "${out.accessToken}"`);
    const garbled = await consume(out);
    expect(garbled.stderr.trim()).toBe(`token-consumer: ${stateFile} is not a consumer state file; move it away only if this consumer never renewed, else its token may be revoked`);
    expect(renewCalls()).toBe(0);
  });

  test("an identity file without a key is refused with what it should hold", async () => {
    const out = await issue();
    const identity = path.join(dir, "empty-identity.txt");
    fs.writeFileSync(identity, "# no key here\n", { mode: 0o600 });
    const r = await consume({ tokenId: out.tokenId, sealedPair: "x" }, ["--identity", identity]);
    expect(r.stderr.trim()).toBe(`token-consumer: ${identity} holds no age identity (a line AGE-SECRET-KEY-1..., as age-keygen writes)`);
    // An age-encrypted file given as the identity is called what it is (issue 20 item 8).
    fs.writeFileSync(identity, "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n", { mode: 0o600 });
    const sealedIdentity = await consume({ tokenId: out.tokenId, sealedPair: "x" }, ["--identity", identity]);
    expect(sealedIdentity.stderr.trim()).toBe(`token-consumer: ${identity} is itself an age-encrypted file, not an identity; give the age identity file (age-keygen's output, a line AGE-SECRET-KEY-1...) that only this consumer's user can read`);
    expect(renewCalls()).toBe(0);
  });
});

/** A port on this machine that nothing listens on: a connection there is refused before a byte is sent. */
const closedPort = () => new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});

/**
 * Issue 20 item 1: a renew that never reached the server (refused connection, a TLS certificate
 * not trusted) spent nothing: the flag is cleared, the message says the real cause, and the next
 * run renews the same pair. Only a request that was sent keeps the no-replay stop (tests above).
 */
describe("a renew that never reached the server", () => {
  const h = useEmulator();
  let dir: string;
  let stateFile: string;
  const renewCalls = () => h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length;
  const state = () => JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>;
  const issue = async () => {
    const r = await h.api.create(h.admin, { tokenName: "reporting-job", userId: SVC_REPORTING });
    const t = r.body.tokenInfo as { accessTokenId: number; accessToken: string; refreshToken: string };
    return { tokenId: t.accessTokenId, generation: 1, accessToken: t.accessToken, refreshToken: t.refreshToken };
  };
  const py = async (out: Record<string, unknown>, apiUrl: string, env: NodeJS.ProcessEnv = {}) => {
    const file = path.join(dir, "stack-output.json");
    fs.writeFileSync(file, JSON.stringify(out), { mode: 0o600 });
    const r = await runPython(python, [CONSUMER, "--api-url", apiUrl, "--stack-output", file, "--state", stateFile], { env: { COMMVAULT_TOKENS_NOW: String(h.running.emulator.clock.now()), ...env } });
    expect(r.stdout + r.stderr).not.toContain(String(out.refreshToken));
    return r;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-unsent-"));
    stateFile = path.join(dir, ".consumer", "state.json");
  });

  test("connection refused: the Python consumer clears the flag, says so, and the next run renews the bootstrap pair", async () => {
    const out = await issue();
    const port = await closedPort();
    const refused = await py(out, `http://127.0.0.1:${port}`);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, `token-consumer: token ${out.tokenId}: the renew was not sent: 127.0.0.1:${port} refused the connection; check --api-url and that the server is up; the pair is unspent, the next run tries again`]);
    expect(state().renewSentAt).toBeUndefined();
    expect(renewCalls()).toBe(0);
    const next = await py(out, h.running.url);
    expect(next.stderr).toBe("");
    expect(JSON.parse(next.stdout)).toMatchObject({ tokenId: out.tokenId, renewed: true, user: "svc-reporting" });
  });

  test("connection refused: the Node.js consumer clears the flag, says so, and the next run renews the bootstrap pair", async () => {
    const out = await issue();
    const port = await closedPort();
    const now = h.running.emulator.clock.now();
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: `http://127.0.0.1:${port}`, now })).rejects.toThrow(
      `token ${out.tokenId}: the renew was not sent: 127.0.0.1:${port} refused the connection; check --api-url and that the server is up; the pair is unspent, the next run tries again`,
    );
    expect(state().renewSentAt).toBeUndefined();
    expect(renewCalls()).toBe(0);
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url, now })).resolves.toMatchObject({ tokenId: out.tokenId, renewed: true, user: "svc-reporting" });
  });
});

describe("a renew whose TLS certificate check fails", () => {
  const tls = selfSignedCert();
  const h = useEmulator({ tls: { key: tls.key, cert: tls.cert } });
  // No token need exist: without the CA nothing reaches the server; with it, the renew is refused as unknown.
  const out = { tokenId: 4242, generation: 1, accessToken: "bootstrap-access", refreshToken: "bootstrap-refresh" };
  let dir: string;
  let stateFile: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-unsent-tls-"));
    stateFile = path.join(dir, ".consumer", "state.json");
  });
  const state = () => JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>;

  test("Python: the certificate error is named with SSL_CERT_FILE as the fix, the flag cleared; with SSL_CERT_FILE the renew is sent", async () => {
    const file = path.join(dir, "stack-output.json");
    fs.writeFileSync(file, JSON.stringify(out), { mode: 0o600 });
    const args = [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", stateFile];
    const untrusted = await runPython(python, args, { env: { SSL_CERT_FILE: "" } });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr.trim()).toMatch(/^token-consumer: token 4242: the renew was not sent: the TLS certificate of 127\.0\.0\.1:\d+ was not trusted \(self[- ]signed certificate\): give its CA with SSL_CERT_FILE=<ca\.pem>.*the pair is unspent, the next run tries again$/);
    expect(state().renewSentAt).toBeUndefined();
    expect(h.running.emulator.log).toEqual([]);
    const trusted = await runPython(python, args, { env: { SSL_CERT_FILE: tls.certFile } });
    expect(trusted.stderr).toMatch(/token 4242: Commvault refused the renew/);
    expect(h.running.emulator.log.map((e) => e.path)).toEqual(["/v4/accesstoken/renew"]);
  });

  test("Node.js: the certificate error is named with NODE_EXTRA_CA_CERTS as the fix, and the flag cleared", async () => {
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url })).rejects.toThrow(
      /^token 4242: the renew was not sent: the TLS certificate of 127\.0\.0\.1:\d+ was not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): give its CA with NODE_EXTRA_CA_CERTS=<ca\.pem>; the pair is unspent, the next run tries again$/,
    );
    expect(state().renewSentAt).toBeUndefined();
    expect(h.running.emulator.log).toEqual([]);
  });
});

/**
 * Issue 20 item 2: the state file's lock is the kernel's (flock), taken by both consumers: a run
 * that is killed (a container's pid 1 included) leaves nothing that stops the next one, and a lock
 * file with any content (an old pid, pid 1, nothing) means nothing while no process holds it.
 */
describe("the state file's lock", () => {
  const h = useEmulator();
  let dir: string;
  let stateFile: string;
  const issue = async () => {
    const r = await h.api.create(h.admin, { tokenName: "reporting-job", userId: SVC_REPORTING });
    const t = r.body.tokenInfo as { accessTokenId: number; accessToken: string; refreshToken: string };
    return { tokenId: t.accessTokenId, generation: 1, accessToken: t.accessToken, refreshToken: t.refreshToken };
  };
  const py = async (out: Record<string, unknown>) => {
    const file = path.join(dir, "stack-output.json");
    fs.writeFileSync(file, JSON.stringify(out), { mode: 0o600 });
    return runPython(python, [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", stateFile], { env: { COMMVAULT_TOKENS_NOW: String(h.running.emulator.clock.now()) } });
  };
  const holders: ChildProcess[] = [];
  const holdInPython = async () => {
    const child = await holdConsumerLock(python, stateFile);
    holders.push(child);
    return child;
  };
  afterEach(async () => {
    await Promise.all(holders.splice(0).map(killHard));
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-lock-"));
    stateFile = path.join(dir, ".consumer", "state.json");
  });

  test("a live holder stops both consumers with how to recover; killed, its lock is gone and the next run goes on", async () => {
    const out = await issue();
    const holder = await holdInPython();
    const message = `another run (pid ${holder.pid} on ${os.hostname()}) holds ${stateFile}.lock; this one stops so that the two never renew the same pair. The lock goes by itself when that run ends, even killed: run again then, or stop that run; deleting the file does not help`;
    const byPython = await py(out);
    expect([byPython.code, byPython.stderr.trim()]).toEqual([1, `token-consumer: ${message}`]);
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url })).rejects.toThrow(message);
    expect(fs.existsSync(stateFile)).toBe(false);
    await killHard(holder);
    const next = await py(out);
    expect(next.stderr).toBe("");
    expect(JSON.parse(next.stdout)).toMatchObject({ tokenId: out.tokenId, renewed: true });
  });

  test("the Node.js consumer's lock keeps a Python run out while it runs", async () => {
    const out = await issue();
    let during: { code: number; stderr: string } | undefined;
    await withLock(stateFile, async () => {
      during = await py(out);
    });
    expect(during!.code).toBe(1);
    expect(during!.stderr).toContain(`another run (pid ${process.pid} on ${os.hostname()}) holds ${stateFile}.lock`);
    expect(JSON.parse((await py(out)).stdout)).toMatchObject({ tokenId: out.tokenId, renewed: true });
  });

  test.each([["pid 1 (a container's killed run)", "1"], ["nothing (a crash before the pid was written)", ""]])("a lock file holding %s is no stop", async (_what, content) => {
    const out = await issue();
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(`${stateFile}.lock`, content);
    expect(JSON.parse((await py(out)).stdout)).toMatchObject({ tokenId: out.tokenId, renewed: true });
    fs.writeFileSync(`${stateFile}.lock`, content);
    const now = h.running.emulator.clock.now() + 3600;
    h.running.emulator.clock.set(now);
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url, now })).resolves.toMatchObject({ tokenId: out.tokenId, renewed: true });
  });
});

/**
 * Issue 20 item 8: a 429 is a refusal before the renew was handled: the flag is cleared, the
 * message says when to run again (Retry-After) and not that the token's life may be over.
 */
describe("a 429 on the renew", () => {
  const h = useEmulator();
  let stateFile: string;
  const issue = async () => {
    const r = await h.api.create(h.admin, { tokenName: "reporting-job", userId: SVC_REPORTING });
    const t = r.body.tokenInfo as { accessTokenId: number; accessToken: string; refreshToken: string };
    return { tokenId: t.accessTokenId, generation: 1, accessToken: t.accessToken, refreshToken: t.refreshToken };
  };
  const tooMany = () => h.api.ctl("POST", "faults", { kind: "status", status: 429, retryAfter: 7, method: "POST", path: "/v4/accesstoken/renew", count: 1 });
  beforeEach(() => {
    stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cv-429-")), ".consumer", "state.json");
  });

  test("Python: says to run again after Retry-After, clears the flag, and the next run renews", async () => {
    const out = await issue();
    await tooMany();
    const file = path.join(path.dirname(path.dirname(stateFile)), "stack-output.json");
    fs.writeFileSync(file, JSON.stringify(out), { mode: 0o600 });
    const args = [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", stateFile];
    const r = await runPython(python, args);
    expect([r.code, r.stderr.trim()]).toEqual([1, `token-consumer: token ${out.tokenId}: Commvault refused the renew for now (HTTP 429, too many requests): nothing was renewed and the pair is unspent; run again after 7 s`]);
    expect((JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, unknown>).renewSentAt).toBeUndefined();
    expect(JSON.parse((await runPython(python, args)).stdout)).toMatchObject({ tokenId: out.tokenId, renewed: true });
  });

  test("Node.js: the same", async () => {
    const out = await issue();
    await tooMany();
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url })).rejects.toThrow(
      `token ${out.tokenId}: Commvault refused the renew for now (HTTP 429, too many requests): nothing was renewed and the pair is unspent; run again after 7 s`,
    );
    await expect(runOnce({ stackOutput: out, stateFile, apiUrl: h.running.url })).resolves.toMatchObject({ tokenId: out.tokenId, renewed: true });
  });
});
