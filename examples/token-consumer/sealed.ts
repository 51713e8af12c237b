/**
 * Opens the stack's sealed pair (the token's `sealTo` set to this consumer's age recipient): the
 * stack outputs then hold `sealedPair`, the age ciphertext of `{"accessToken", "refreshToken"}`,
 * and no secret at all, so `pulumi stack output --json` needs no `--show-secrets` and the state
 * never held the pair. Only this consumer's identity file (`age-keygen -o key.txt`) opens it.
 */
import * as fs from "node:fs";

type Age = typeof import("age-encryption");

/** age-encryption is an ES module: Node.js 20.19+ requires it; older Node.js 20 imports it. */
async function age(): Promise<Age> {
  try {
    return require("age-encryption") as Age;
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_REQUIRE_ESM") throw e;
    return (new Function("s", "return import(s)") as (s: string) => Promise<Age>)("age-encryption");
  }
}

/** The identities (`AGE-SECRET-KEY-1...` lines) of an age key file; comments and public-key lines are skipped. */
export function readIdentities(file: string): string[] {
  let content: string;
  try {
    content = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`--identity ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the age key file whose recipient is in the token's sealTo (made with \`age-keygen -o key.txt\`)`);
  }
  const keys = content.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (keys.length === 0) throw new Error(`${file} holds no age identity (a line AGE-SECRET-KEY-1...); make one with \`age-keygen -o ${file}\``);
  return keys;
}

/**
 * The stack output with its sealed pair opened: `accessToken` and `refreshToken` as if the stack
 * had shown them. An output without `sealedPair` is returned as it is. Messages quote no value.
 */
export async function openSealed(output: Record<string, unknown>, identities: string[] | undefined): Promise<Record<string, unknown>> {
  if (output.sealedPair === undefined) return output;
  if (typeof output.sealedPair !== "string") throw new Error("the stack output's sealedPair is not text");
  if (!identities?.length) throw new Error("the stack output's pair is sealed (sealedPair): pass --identity <age key file> with the identity whose recipient is in the token's sealTo");
  const { Decrypter, armor } = await age();
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  let text: string;
  try {
    text = await d.decrypt(armor.decode(output.sealedPair), "text");
  } catch (e) {
    throw new Error(`the stack output's sealedPair does not open with this identity (${(e as Error).message}): is its recipient in the token's sealTo?`);
  }
  const pair = JSON.parse(text) as { accessToken?: unknown; refreshToken?: unknown };
  return { ...output, accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}
