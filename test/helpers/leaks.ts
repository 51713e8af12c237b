import * as fs from "node:fs";
import * as path from "node:path";
import type { StoreData } from "../../emulator/store";

/**
 * Every secret the emulator has held during a test (tokens' access and refresh tokens, login
 * sessions, users' passwords), and every text a run printed or left in a file, searched for each
 * other. A leak is reported by where it is and what kind of secret, never by the secret itself.
 */
export class LeakWatch {
  private readonly secrets = new Map<string, string>();
  private readonly texts: { where: string; text: string }[] = [];

  constructor(private readonly store: () => StoreData) {}

  /** Adds what the emulator holds now: tokens deleted later (destroy) must still be searched for. */
  collect(): void {
    const data = this.store();
    for (const t of data.tokens) {
      this.secrets.set(t.accessToken, `access token of "${t.tokenName}" (${t.accessTokenId})`);
      if (t.refreshToken) this.secrets.set(t.refreshToken, `refresh token of "${t.tokenName}" (${t.accessTokenId})`);
    }
    for (const s of data.sessions) this.secrets.set(s.token, `session token of user ${s.userId}`);
    for (const u of data.users) if (u.password) this.secrets.set(u.password, `password of ${u.userName}`);
  }

  /** How many distinct secrets are being looked for (a test that found none searched for nothing). */
  get size(): number {
    return this.secrets.size;
  }

  has(secret: string): boolean {
    return this.secrets.has(secret);
  }

  record(where: string, text: string): void {
    this.texts.push({ where, text });
  }

  /** Every file under `dir` (log files, plugin logs), each as its own text. */
  recordFiles(dir: string): number {
    if (!fs.existsSync(dir)) return 0;
    let n = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      this.record(file, fs.readFileSync(file, "latin1"));
      n++;
    }
    return n;
  }

  /**
   * One entry per (text, secret) found: `<where>: <kind of secret> in "<its first line>"`, the line
   * cut to 240 characters around the secret, with every secret in it masked.
   */
  leaks(): string[] {
    const found: string[] = [];
    for (const { where, text } of this.texts) {
      for (const [secret, kind] of this.secrets) {
        const at = secret.length >= 8 ? text.indexOf(secret) : -1;
        if (at < 0) continue;
        const start = text.lastIndexOf("\n", at) + 1;
        const end = text.indexOf("\n", at);
        found.push(`${where}: ${kind} in "${this.mask(text.slice(Math.max(start, at - 160), Math.min(end < 0 ? text.length : end, at + secret.length + 80)))}"`);
      }
    }
    return found;
  }

  private mask(line: string): string {
    let out = line;
    for (const secret of this.secrets.keys()) if (secret.length >= 8) out = out.split(secret).join("<SECRET>");
    return out;
  }
}
