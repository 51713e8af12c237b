/**
 * The one consumer of the reporting job's token. Commvault rotates both secrets at every renew and
 * revokes the whole token when an older pair is sent again, so this consumer:
 * - takes the stack's (bootstrap) pair once, for a first renew, and from then on renews only from
 *   its own latest pair, kept in a state file it writes atomically before using a new pair;
 * - renews when the access token has less than 5 minutes left (or has expired, within the
 *   refresh window), and otherwise just uses it;
 * - switches to the stack's pair when the stack shows another token (a rotation: a new generation
 *   and a new token id), and never goes back to a token it has left;
 * - never prints a secret.
 *
 *   pulumi stack output --json --show-secrets > stack-output.json     # the pipeline's step
 *   npx ts-node consumer.ts --api-url https://commserve.example.com/commandcenter/api --stack-output stack-output.json
 *
 * With the token's pair sealed to this consumer (`sealTo`, see sealed.ts), no secret is shown:
 *   pulumi stack output --json > stack-output.json
 *   npx ts-node consumer.ts --api-url ... --stack-output stack-output.json --identity key.txt
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { openSealed, readIdentities } from "./sealed";
import { loadState, saveState, withLock, type ConsumerState } from "./state";

/** What the consumer reads from the stack's outputs (see index.ts). */
export interface StackOutput {
  tokenId: number;
  generation?: number;
  accessToken: string;
  refreshToken: string;
}

export interface RunOptions {
  stackOutput: StackOutput;
  /** Where the consumer keeps its own pair, e.g. ".consumer/state.json". */
  stateFile: string;
  /** The API base, e.g. https://commserve.example.com/commandcenter/api. */
  apiUrl: string;
  /** Epoch seconds; default the machine's clock. */
  now?: number;
  /** Renew when less than this is left of the access token; default 300 seconds. */
  renewBeforeSeconds?: number;
}

/** What a run did; no secret, so it may be logged. */
export interface RunReport {
  tokenId: number;
  generation?: number;
  /** This run took up the stack's pair: the first run, or another token (a rotation). */
  switched: boolean;
  renewed: boolean;
  /** Whose token it is, as the API says. */
  user: string;
  accessTokenExpiresAt: string;
  renewableUntil?: string;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The stack outputs the consumer needs, checked; messages never quote a value. */
export function parseStackOutput(value: unknown): StackOutput {
  const o = (value ?? {}) as Record<string, unknown>;
  for (const key of ["accessToken", "refreshToken"]) {
    if (o[key] === "[secret]") throw new Error(`the stack output's ${key} is masked: write it with \`pulumi stack output --json --show-secrets\``);
    if (typeof o[key] !== "string" || !o[key]) throw new Error(`the stack output has no ${key}`);
  }
  if (o.tokenId === undefined || o.tokenId === null) throw new Error("the stack output has no tokenId");
  // A present id of the wrong type is not a missing one: say which, so the user looks at the export.
  if (typeof o.tokenId !== "number") {
    throw new Error(`the stack output's tokenId is a ${Array.isArray(o.tokenId) ? "list" : typeof o.tokenId}, not a number: export the token's tokenId output itself (\`pulumi stack output --json --show-secrets\`), not a text made from it`);
  }
  if (o.generation !== undefined && typeof o.generation !== "number") throw new Error("the stack output's generation is not a number");
  return { tokenId: o.tokenId, generation: o.generation as number | undefined, accessToken: o.accessToken as string, refreshToken: o.refreshToken as string };
}

/** JSON.parse's own message quotes the text, which here holds secrets. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}

export const readStackOutput = (file: string) => parseStackOutput(parseJson(fs.readFileSync(file, "utf8"), file));

/** The stack output, its sealed pair opened with the identities when it has one (sealed.ts). */
export async function openStackOutput(value: unknown, identities?: string[]): Promise<StackOutput> {
  return parseStackOutput(await openSealed((value ?? {}) as Record<string, unknown>, identities));
}

/**
 * `unsent`: the request never reached the server (no connection, DNS, a TLS certificate refused),
 * so nothing can have been committed. `lost`: it was sent and no usable answer came, so the server
 * may have committed it.
 */
type Answer = { status: number; body: Record<string, unknown> } | { lost: string } | { unsent: string };

/** Failures that come before a byte of the request is written: connecting, resolving, the TLS handshake. */
const BEFORE_SENDING = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT|ERR_INVALID_URL|ERR_TLS_.*|ERR_SSL_.*|.*CERT.*|UNABLE_TO_.*)$/;

/** Why a request never left this machine, in words that name the fix; never quotes a secret. */
function unsentReason(code: string, url: string): string {
  const host = URL.canParse(url) ? new URL(url).host : url;
  if (/CERT|UNABLE_TO_|ERR_TLS_CERT/.test(code)) {
    return `the TLS certificate of ${host} was not trusted (${code}): give its CA with NODE_EXTRA_CA_CERTS=<ca.pem>`;
  }
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) return `the TLS handshake with ${host} failed (${code}); is --api-url's scheme right?`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve ${host} (${code}); check --api-url and DNS`;
  if (code === "ECONNREFUSED") return `${host} refused the connection; check --api-url and that the server is up`;
  if (code === "ERR_INVALID_URL") return `--api-url is not a URL`;
  return `cannot reach ${host} (${code})`;
}

async function call(url: string, init: RequestInit): Promise<Answer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (res.status === 429) return { status: 429, body: { retryAfter: res.headers.get("retry-after")?.trim() } };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined; // an HTML page or an empty answer: not Commvault's word
    }
    return { status: res.status, body: typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {} };
  } catch (e) {
    // fetch's own error says only "fetch failed"; the socket's code is on its cause.
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === "string" ? cause.code : typeof (e as { code?: unknown }).code === "string" ? String((e as { code: string }).code) : "";
    if (BEFORE_SENDING.test(code)) return { unsent: unsentReason(code, url) };
    return { lost: (e as Error).name === "TimeoutError" ? "no answer within 30 s" : "the connection failed after the request was sent" };
  }
}

const JSON_HEADERS = { Accept: "application/json", "Content-Type": "application/json" };

/** The work: here WhoAmI, with the access token alone. Undefined when the token is refused (401). */
async function whoAmI(apiUrl: string, accessToken: string): Promise<string | undefined> {
  const a = await call(`${apiUrl}/v2/WhoAmI`, { headers: { ...JSON_HEADERS, Authtoken: accessToken } });
  if ("lost" in a) throw new Error(`WhoAmI: ${a.lost}`);
  if ("unsent" in a) throw new Error(`WhoAmI: ${a.unsent}`);
  if (a.status === 401) return undefined;
  const user = (a.body.user as { userName?: unknown } | undefined)?.userName ?? a.body.userName;
  if (a.status !== 200 || typeof user !== "string") throw new Error(`WhoAmI answered HTTP ${a.status}`);
  return user;
}

const LOST_PAIR =
  "a renew got no usable answer, so Commvault may have rotated this pair already, and sending it again could be taken " +
  "as a replay, which revokes the token. This consumer will not renew it again. Ask for a new secret: " +
  "`pulumi config set token-consumer:rotationTrigger \"$(date -u +%FT%T)\" && pulumi up`; the next run switches to it";

/** Renews from the state's pair, writing the flag before and the new pair after, both atomically. */
async function renew(apiUrl: string, file: string, state: ConsumerState, now: number): Promise<ConsumerState> {
  if (state.renewSentAt !== undefined) throw new Error(`token ${state.tokenId}: at ${iso(state.renewSentAt)} ${LOST_PAIR}`);
  if (state.refreshWindowEndsAt !== undefined && now > state.refreshWindowEndsAt) {
    throw new Error(`token ${state.tokenId} is dead: its refresh window ended at ${iso(state.refreshWindowEndsAt)}; \`pulumi up --refresh\` replaces it, and the next run switches to the new token`);
  }
  saveState(file, { ...state, renewSentAt: now });
  const a = await call(`${apiUrl}/V4/AccessToken/Renew`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ accessToken: state.accessToken, refreshToken: state.refreshToken }) });
  if ("unsent" in a) {
    // Never reached the server: the pair is unspent and the flag goes, so the next run renews it.
    saveState(file, { ...state, renewSentAt: undefined });
    throw new Error(`token ${state.tokenId}: the renew was not sent: ${a.unsent}; the pair is unspent, the next run tries again`);
  }
  if ("lost" in a) throw new Error(`token ${state.tokenId}: the renew's answer was lost (${a.lost}); ${LOST_PAIR}`);
  if (a.status === 429) {
    // Refused before it was handled (too many requests): nothing was renewed, the pair is unspent.
    saveState(file, { ...state, renewSentAt: undefined });
    const after = a.body.retryAfter;
    const when = typeof after === "string" && /^\d+$/.test(after) ? `after ${after} s` : "later";
    throw new Error(`token ${state.tokenId}: Commvault refused the renew for now (HTTP 429, too many requests): nothing was renewed and the pair is unspent; run again ${when}`);
  }
  const code = Number(a.body.errorCode ?? 0);
  // A 4xx, or Commvault's error code in a 200 (some servers answer so), is a refusal: nothing was
  // committed and the pair is still ours. A 5xx may come from a proxy after the server committed.
  if ((a.status >= 400 && a.status < 500) || (a.status < 300 && code !== 0)) {
    saveState(file, { ...state, renewSentAt: undefined });
    const why = typeof a.body.errorMessage === "string" ? a.body.errorMessage : `HTTP ${a.status}`;
    // Gone: a 404, or the same refusal as HTTP 200 (some servers answer so), known by its words.
    const gone = a.status === 404 || (a.status < 300 && /not found/i.test(why));
    const hint = gone ? "the token no longer exists (retired, revoked, or replaced)" : "if its life is over, `pulumi up --refresh` extends or replaces it";
    throw new Error(`token ${state.tokenId}: Commvault refused the renew (${why}): ${hint}; the next run goes on, or switches to the stack's new token`);
  }
  const b = a.body;
  if (a.status !== 200 || typeof b.accessToken !== "string" || typeof b.refreshToken !== "string" || typeof b.tokenExpiryTimestamp !== "number") {
    throw new Error(`token ${state.tokenId}: the renew answered HTTP ${a.status} without a new pair; ${LOST_PAIR}`);
  }
  const next: ConsumerState = {
    ...state,
    accessToken: b.accessToken,
    refreshToken: b.refreshToken,
    accessTokenExpiresAt: b.tokenExpiryTimestamp,
    refreshWindowEndsAt: typeof b.refreshTokenExpiryTimestamp === "number" ? b.refreshTokenExpiryTimestamp : undefined,
    renewableUntil: typeof b.renewableUntilTimestamp === "number" ? b.renewableUntilTimestamp : state.renewableUntil,
    renewSentAt: undefined,
  };
  // On disk before any use: if this write fails, the flag above stays and no older pair is ever sent.
  saveState(file, next);
  return next;
}

/** One run: pick the pair, renew it if due, do the work. Holds a lock on the state file throughout. */
export async function runOnce(o: RunOptions): Promise<RunReport> {
  const out = parseStackOutput(o.stackOutput);
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const apiUrl = o.apiUrl.replace(/\/+$/, "");
  return withLock(o.stateFile, async () => {
    let state = loadState(o.stateFile);
    // A token this consumer has not had yet: the first run, a rotation, or a replacement. A token
    // it has had and left (an older stack output) is ignored: its bootstrap pair is spent.
    const switched = state === undefined || (out.tokenId !== state.tokenId && !state.adopted.includes(out.tokenId));
    if (switched) {
      state = { ...out, accessTokenExpiresAt: 0, adopted: [...(state?.adopted ?? []), out.tokenId] };
    }
    let current = state!;
    // A bootstrap pair is renewed at once: its access token has most likely expired, and the copy
    // in Pulumi state stops working for anyone who can read the state.
    let renewed = now >= current.accessTokenExpiresAt - (o.renewBeforeSeconds ?? 300);
    if (renewed) current = await renew(apiUrl, o.stateFile, current, now);
    let user = await whoAmI(apiUrl, current.accessToken);
    if (user === undefined && !renewed) {
      // Refused before its time by our clock: the server's clock is ahead of ours (a renew fixes
      // that), or the token was revoked (the renew's refusal says so). Renew once and retry.
      current = await renew(apiUrl, o.stateFile, current, now);
      renewed = true;
      user = await whoAmI(apiUrl, current.accessToken);
    }
    if (user === undefined) throw new Error(`token ${current.tokenId}: a freshly renewed access token was refused (HTTP 401): check the token's IP allow list`);
    return {
      tokenId: current.tokenId,
      generation: current.generation,
      switched,
      renewed,
      user,
      accessTokenExpiresAt: iso(current.accessTokenExpiresAt),
      renewableUntil: current.renewableUntil === undefined ? undefined : iso(current.renewableUntil),
    };
  });
}

/**
 * The stack outputs from a file the pipeline wrote, or straight from `pulumi stack output`; with
 * an identity, the sealed pair is opened and the stack is never asked to show a secret.
 */
async function stackOutputOf(file: string | undefined, stack: string | undefined, identities: string[] | undefined): Promise<StackOutput> {
  if (file) return openStackOutput(parseJson(fs.readFileSync(file, "utf8"), file), identities);
  const args = ["stack", "output", "--json", ...(identities ? [] : ["--show-secrets"]), ...(stack ? ["--stack", stack] : [])];
  return openStackOutput(parseJson(execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }), "`pulumi stack output`"), identities);
}

/** COMMVAULT_TOKENS_NOW (epoch seconds or RFC 3339) moves the consumer's clock with the provider's, for tests. */
function nowFromEnv(): number | undefined {
  const set = process.env.COMMVAULT_TOKENS_NOW?.trim();
  if (!set) return undefined;
  const t = /^\d+$/.test(set) ? Number(set) : Date.parse(set) / 1000;
  if (!Number.isFinite(t)) throw new Error(`COMMVAULT_TOKENS_NOW is neither epoch seconds nor an RFC 3339 time`);
  return Math.floor(t);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "api-url": { type: "string" },
      "stack-output": { type: "string" },
      stack: { type: "string" },
      state: { type: "string", default: ".consumer/state.json" },
      identity: { type: "string" },
    },
  });
  if (!values["api-url"]) throw new Error("--api-url is required, e.g. https://commserve.example.com/commandcenter/api");
  const report = await runOnce({
    stackOutput: await stackOutputOf(values["stack-output"], values.stack, values.identity ? readIdentities(values.identity) : undefined),
    stateFile: values.state!,
    apiUrl: values["api-url"],
    now: nowFromEnv(),
  });
  console.log(JSON.stringify(report));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`token-consumer: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
