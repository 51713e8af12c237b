import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The consumer's own record of its token: the only place its current pair lives. */
export interface ConsumerState {
  tokenId: number;
  generation?: number;
  accessToken: string;
  refreshToken: string;
  /** Epoch seconds, from the last renew's answer; 0 for a bootstrap pair not yet renewed. */
  accessTokenExpiresAt: number;
  /** The last moment a renew is accepted (access expiry + 14 days), from the last renew's answer. */
  refreshWindowEndsAt?: number;
  renewableUntil?: number;
  /**
   * Set, and written, before a renew is sent; cleared when its answer is. Found set, it means a
   * renew got no usable answer: the server may have committed it, so this pair may be spent.
   */
  renewSentAt?: number;
  /** Token ids whose bootstrap pair this consumer has used: it never uses one again. */
  adopted: number[];
}

/** The state in `file`, or undefined on the first run. Never quotes the file: it holds secrets. */
export function loadState(file: string): ConsumerState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let s: Partial<ConsumerState>;
  try {
    s = (JSON.parse(text) ?? {}) as Partial<ConsumerState>;
  } catch {
    s = {}; // JSON.parse's message would quote the text, secrets included
  }
  const ok = typeof s.tokenId === "number" && typeof s.accessToken === "string" && typeof s.refreshToken === "string"
    && typeof s.accessTokenExpiresAt === "number" && Array.isArray(s.adopted);
  if (!ok) throw new Error(`${file} is not a consumer state file; move it away only if this consumer never renewed, else its token may be revoked`);
  return s as ConsumerState;
}

/**
 * Replaces the state file atomically (a new file, flushed, then renamed over the old one), so a
 * crash leaves either the old pair or the new one, never half of either. Readable by its owner only.
 */
export function saveState(file: string, state: ConsumerState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ ...state, adopted: state.adopted.slice(-50) }, null, 2));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Who wrote the lock file last (`pid N on host H`), for the message; the lock itself is the kernel's. */
const holder = (lock: string) => {
  try {
    return fs.readFileSync(lock, "utf8").slice(0, 200).trim() || "a run that has not said its pid yet";
  } catch {
    return "a run that has not said its pid yet";
  }
};

/**
 * Takes an exclusive flock(2) on `lock` through flock(1) (util-linux), which holds it while its
 * child `cat` reads our pipe: when this process ends, however it ends, the pipe closes and the
 * kernel drops the lock. Node.js has no flock of its own; this is the same lock the Python consumer
 * takes with fcntl.flock. Resolves with the release, or undefined when another run holds it.
 */
function flock(lock: string): Promise<(() => Promise<void>) | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn("flock", ["--nonblock", "--conflict-exit-code", "75", lock, "sh", "-c", "echo locked && exec cat"], { stdio: ["pipe", "pipe", "ignore"] });
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    let taken = false;
    child.once("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "ENOENT" ? new Error("the consumer locks its state file with flock(1): install util-linux (it has flock)") : e);
    });
    child.stdout!.once("data", () => {
      taken = true;
      resolve(async () => {
        child.stdin!.end();
        await exited;
      });
    });
    child.once("exit", (code) => {
      if (taken) return;
      if (code === 75) resolve(undefined);
      else reject(new Error(`flock(1) could not lock ${lock} (exit ${code})`));
    });
  });
}

/**
 * Runs `fn` holding an exclusive flock on `<file>.lock`. Two runs renewing the same pair at once
 * would be a replay, which makes Commvault revoke the token: a run that overlaps another (a slow
 * cron job) stops instead. The kernel drops the lock when its holder ends (killed, or a container's
 * pid 1 gone), so no lock is ever left behind and no pid is guessed at.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(lock, "a", 0o600));
  const release = await flock(lock);
  if (!release) {
    throw new Error(`another run (${holder(lock)}) holds ${lock}; this one stops so that the two never renew the same pair. The lock goes by itself when that run ends, even killed: run again then, or stop that run; deleting the file does not help`);
  }
  try {
    // Only for the message above: the file's content is never trusted. The file stays (removing
    // it would race a run opening it).
    fs.writeFileSync(lock, `pid ${process.pid} on ${os.hostname()}`);
    return await fn();
  } finally {
    await release();
  }
}
