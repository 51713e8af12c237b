import * as fs from "node:fs";
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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Runs `fn` holding `<file>.lock`. Two runs renewing the same pair at once would be a replay, which
 * makes Commvault revoke the token: a run that overlaps another (a slow cron job) stops instead.
 * A lock left by a process that no longer exists (a crash) is taken over.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  let fd: number | undefined;
  for (let attempt = 0; fd === undefined; attempt++) {
    try {
      fd = fs.openSync(lock, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      // An empty lock is one being taken right now: only a pid that is gone makes it stale.
      const holder = Number(fs.readFileSync(lock, "utf8"));
      const stale = Number.isInteger(holder) && holder > 0 && !alive(holder);
      if (!stale) throw new Error(`another run (pid ${holder || "?"}) holds ${lock}; this one stops so that the two never renew the same pair`);
      fs.rmSync(lock, { force: true });
    }
  }
  try {
    fs.writeSync(fd, String(process.pid));
    return await fn();
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}
