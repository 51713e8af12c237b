/**
 * Remembers every secret a client has handled (password, its base64 form, session token, token
 * secrets it created or renewed) and scrubs them from any text that may leave the client.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      if (!v || v.length < 4) continue;
      this.secrets.add(v);
      // A session token travels as "QSDK <hex>" and as "<hex>"; remember both.
      const bare = v.replace(/^(QSDK|Bearer)\s+/i, "");
      if (bare !== v && bare.length >= 4) this.secrets.add(bare);
    }
  }

  scrub(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another is replaced whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("[REDACTED]");
    return out;
  }
}
