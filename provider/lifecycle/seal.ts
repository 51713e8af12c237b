import { createHash } from "node:crypto";
import type { AccessTokenState } from "../model/state";

type Age = typeof import("age-encryption");
let loading: Promise<Age> | undefined;

/**
 * age-encryption ships only ES modules. Node.js 20.19 and later `require` them; older Node.js 20
 * releases need a real dynamic import, which TypeScript's CommonJS output would turn into a
 * require, hence the Function (it runs in the dynamic-provider process and the plugin alike).
 */
function age(): Promise<Age> {
  loading ??= (async () => {
    try {
      return require("age-encryption") as Age;
    } catch (e) {
      if ((e as { code?: string }).code !== "ERR_REQUIRE_ESM") throw e;
      const load = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Age>;
      return load("age-encryption");
    }
  })();
  return loading;
}

/** First 16 hex digits of SHA-256 over the access token: enough to tell secrets apart, nothing to recover one from. */
export function fingerprint(accessToken: string): string {
  return createHash("sha256").update(accessToken, "utf8").digest("hex").slice(0, 16);
}

/** The pair as the consumer decrypts it: `{"accessToken": ..., "refreshToken": ...}` (no refreshToken for SCIM/1-Touch). */
export async function sealPair(recipients: readonly string[], pair: { accessToken: string; refreshToken?: string }): Promise<string> {
  const { Encrypter, armor } = await age();
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const body = JSON.stringify(pair.refreshToken === undefined ? { accessToken: pair.accessToken } : { accessToken: pair.accessToken, refreshToken: pair.refreshToken });
  return armor.encode(await e.encrypt(body));
}

/**
 * The state with its secret pair sealed to `sealTo`, before it leaves the provider: the
 * ciphertext and a fingerprint in, the plaintext out. Without sealTo (or without a secret, as
 * for an adopted token) the state is returned as it is.
 */
export async function sealState(state: AccessTokenState): Promise<AccessTokenState> {
  if (!state.sealTo?.length || state.accessToken === undefined) return state;
  const { accessToken, refreshToken, ...rest } = state;
  return { ...rest, sealedPair: await sealPair(state.sealTo, { accessToken, refreshToken }), secretFingerprint: fingerprint(accessToken) };
}

/** Opens a sealed pair with an age identity (`AGE-SECRET-KEY-1...`): for consumers and tests. */
export async function openPair(identity: string, sealedPair: string): Promise<{ accessToken: string; refreshToken?: string }> {
  const { Decrypter, armor } = await age();
  const d = new Decrypter();
  for (const line of identity.split(/\r?\n/)) if (/^AGE-SECRET-KEY-/.test(line.trim())) d.addIdentity(line.trim());
  return JSON.parse(await d.decrypt(armor.decode(sealedPair), "text")) as { accessToken: string; refreshToken?: string };
}
