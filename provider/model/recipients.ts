import type { Read } from "./fields";
import type { CheckFailure } from "./failure";
import { isUnknown } from "./unknown";

/**
 * age recipients for `sealTo`: X25519 public keys as `age-keygen` prints them (`age1` and 58
 * bech32 characters). Only this kind: every consumer we serve opens it (the `age` command,
 * filippo.io/age, pyrage, age-encryption). Checked here in full, checksum included, so that a
 * mistyped key is refused at preview, before any token exists that nobody could open.
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i];
  }
  return chk >>> 0;
}

/** Why `s` is not an X25519 age recipient, or undefined when it is one. */
export function recipientProblem(s: string): string | undefined {
  if (/^AGE-SECRET-KEY-/i.test(s)) return "is an age identity (a secret key), not a recipient: never put it in a program; give its public key, which `age-keygen -y <key file>` prints";
  if (s.startsWith("age1pq1") || s.startsWith("age1tag")) return "is a post-quantum or tag recipient, which not every consumer can open yet; use an X25519 recipient (`age-keygen` makes one)";
  if (!s.startsWith("age1")) return "does not start with age1; give an X25519 recipient as `age-keygen` prints it (age1 and 58 characters)";
  if (s !== s.toLowerCase()) return "has capital letters; age recipients are lower case";
  const data = s.slice(4);
  if (data.length !== 58) return `has ${s.length} characters, not 62; copy the whole line \`age-keygen -y\` prints`;
  const values: number[] = [];
  for (const c of data) {
    const v = CHARSET.indexOf(c);
    if (v < 0) return `has "${c}", which no age recipient has; copy it again`;
    values.push(v);
  }
  const hrp = [..."age"].map((c) => c.charCodeAt(0));
  if (polymod([...hrp.map((c) => c >> 5), 0, ...hrp.map((c) => c & 31), ...values]) !== 1) return "has a wrong checksum (a character is mistyped); copy it again";
  return undefined;
}

/** A recipient for a message, never an identity's text: only its first characters. */
const shown = (s: string) => (/^age1/.test(s) ? `"${s.slice(0, 10)}…"` : "");

/**
 * The recipients, sorted and without repeats (order means nothing to age, so reordering is no
 * change). A failure names its entry, `sealTo[i]`: the engine prints the value of a failure's
 * property only for a top-level key, so not even a pasted identity is echoed.
 */
export function readRecipients(v: unknown): Read<string[]> & { failures?: CheckFailure[] } {
  if (!Array.isArray(v)) return { problem: `must be a list of age recipients, not ${v === null ? "null" : typeof v}` };
  if (v.length === 0) return { problem: "is empty; list at least one age recipient, or leave sealTo out" };
  const failures: CheckFailure[] = [];
  const ok: string[] = [];
  v.forEach((entry, i) => {
    if (isUnknown(entry)) return;
    if (typeof entry !== "string") {
      failures.push({ property: `sealTo[${i}]`, reason: `sealTo[${i}] must be an age recipient (text), not ${entry === null ? "null" : typeof entry}` });
      return;
    }
    const problem = recipientProblem(entry.trim());
    if (problem === undefined) ok.push(entry.trim());
    else failures.push({ property: `sealTo[${i}]`, reason: `sealTo[${i}] ${shown(entry.trim())}${shown(entry.trim()) ? " " : ""}${problem}` });
  });
  if (failures.length) return { problem: failures[0].reason, failures };
  return { ok: [...new Set(ok)].sort() };
}

/** Whether two recipient lists (as check wrote them) seal to the same keys. */
export function sameRecipients(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = [...new Set(a ?? [])].sort();
  const y = [...new Set(b ?? [])].sort();
  return x.length === y.length && x.every((r, i) => r === y[i]);
}
