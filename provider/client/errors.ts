import type { TokenListEntry } from "./schemas";
import { Redactor } from "./redact";

export type CommvaultErrorKind =
  | "not-found"
  | "forbidden"
  | "validation"
  | "unauthorized"
  | "transient"
  | "server"
  | "unexpected-response"
  | "tls";

/** What Commvault itself said no longer exists (see `goneOfMessage`). */
export type Gone = "user" | "token";

export interface CommvaultErrorDetails {
  kind: CommvaultErrorKind;
  /**
   * Set only when Commvault's own JSON error answer (a numeric errorCode, at any HTTP status)
   * says that the user or the access token is not found: the one signal that a resource is
   * really gone. A 404 without such a body (a proxy's page, a server without the V4 API) never
   * sets it, nor does Commvault's own "The requested API was not found".
   */
  gone?: Gone;
  /** What the client was doing, e.g. "modify access token 104". */
  operation: string;
  method?: string;
  /** Path below the API base; never a query string with a secret in it. */
  path?: string;
  status?: number;
  errorCode?: number;
  errorMessage?: string;
  /** The transport failure (ECONNRESET, ETIMEDOUT...) when there was no answer. */
  networkCode?: string;
  attempts?: number;
}

const BRAND = Symbol.for("pulumi-commvault-tokens.CommvaultError");

/**
 * The one error type of the client. Every field is plain data that has passed the redactor, and
 * no field holds the axios error (its config carries the Authtoken header and request body), so
 * the message, String(err), JSON.stringify(err) and util.inspect(err) are all free of secrets.
 */
export class CommvaultError extends Error {
  readonly kind: CommvaultErrorKind;
  readonly gone?: Gone;
  readonly operation: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly errorCode?: number;
  readonly errorMessage?: string;
  readonly networkCode?: string;
  readonly attempts?: number;

  constructor(d: CommvaultErrorDetails, message: string) {
    super(message);
    this.name = errorName(d.kind);
    this.kind = d.kind;
    if (d.gone) this.gone = d.gone;
    this.operation = d.operation;
    this.method = d.method;
    this.path = d.path;
    this.status = d.status;
    this.errorCode = d.errorCode;
    this.errorMessage = d.errorMessage;
    this.networkCode = d.networkCode;
    this.attempts = d.attempts;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across two loaded copies of this package, where instanceof does not. */
  static isInstance(e: unknown): e is CommvaultError {
    return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }

  get retryable(): boolean {
    return this.kind === "transient";
  }

  toJSON(): Record<string, unknown> {
    const { kind, gone, operation, method, path, status, errorCode, errorMessage, networkCode, attempts } = this;
    return { name: this.name, message: this.message, kind, gone, operation, method, path, status, errorCode, errorMessage, networkCode, attempts };
  }
}

/** Raised when a create's answer was lost and the token turned out to exist: its secret is gone. */
export class CreateAnswerLostError extends CommvaultError {
  constructor(
    d: CommvaultErrorDetails,
    readonly accessTokenId: number,
    readonly userId: number,
    /** The token as listed under the name, for the caller to tell whether its POST made it. */
    readonly listed?: TokenListEntry,
  ) {
    super(d, `Commvault ${d.operation}: the server created access token ${accessTokenId} but its answer, which carries the secret, was lost`);
    this.name = "CommvaultCreateAnswerLostError";
  }
}

function errorName(kind: CommvaultErrorKind): string {
  const words = kind.split("-").map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `Commvault${words.join("")}Error`;
}

function kindOfStatus(status: number): CommvaultErrorKind {
  if (status === 400 || status === 409 || status === 422) return "validation";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 429 || status === 502 || status === 503 || status === 504) return "transient";
  return "server";
}

// How Commvault's messages are read. The codes are undocumented (contract section 6), so the
// message text decides; each rule is here, in one place, to be retaught for a real server's wording.

/**
 * Application errors that arrive as HTTP 200 (contract section 6) carry no status; their kind is
 * read from the message.
 */
function kindOfMessage(message: string): CommvaultErrorKind {
  const m = message.toLowerCase();
  if (m.includes("not found") || m.includes("does not exist")) return "not-found";
  if (m.includes("access denied")) return "unauthorized";
  if (m.includes("permission") || m.includes("not allowed") || m.includes("cannot create an access token for another")) {
    return "forbidden";
  }
  return "validation";
}

/**
 * Whether a Commvault error message says that the access token or the user does not exist
 * (contract section 4: "Access token not found", "User not found"). Only this may make the
 * provider forget a resource, so it is narrow: "The requested API was not found" is not it.
 */
export function goneOfMessage(message: string): Gone | undefined {
  if (TOKEN_GONE.test(message)) return "token";
  if (USER_GONE.test(message.trim())) return "user";
  return undefined;
}
const TOKEN_GONE = /\baccess ?token(?: \S+)? (?:was |is )?(?:not found|does not exist|doesn't exist)/i;
const USER_GONE = /^(?:the )?user(?: \S+)? (?:was |is )?(?:not found|does not exist|doesn't exist)/i;

const CHECK_URL =
  "check that commvault:url is Commvault's API base (e.g. https://host/commandcenter/api) and that the server has the V4 API, which Commvault 11.38 and later serve";

/** Hints for particular messages, ahead of the hint of their kind. */
const MESSAGE_HINTS: [RegExp, string][] = [
  [
    /cannot create an access token for another user/i,
    "nobody, not even an administrator, creates an access token for another person: that person creates it " +
      "(logged in as themselves), and an administrator may then modify or delete it; only the tokens of service " +
      "accounts are created by an administrator",
  ],
  [
    /not allowed using another access token/i,
    "an access token can never create, modify or delete access tokens: log in with a user name and password (commvault:username, commvault:password)",
  ],
  [/requested api was not found/i, `the server does not serve this API; ${CHECK_URL}`],
  [
    /at most \d+ days|must be in the future/i,
    "the server counts from its own clock: a date within the bound by this machine's clock (the provider keeps a day's margin) is refused when the server's clock is behind or ahead by more; check the CommServe's time, or ask for a shorter lifetime",
  ],
];

/**
 * Which HTTP statuses mean the same from whoever answers: a proxy's 429 or 503 is as transient as
 * Commvault's, and a 5xx is a server failure either way. Any other error status means something
 * only with Commvault's JSON body; without one the answer is not Commvault's (see `notFromCommvault`).
 */
export function statusSpeaksForItself(status: number): boolean {
  return status === 401 || status === 429 || status >= 500;
}

/** The message for an answer that is not Commvault's JSON: an HTML page, an empty body, a proxy's 404. */
export function notFromCommvault(contentType: string | undefined, body: unknown): string {
  const text = typeof body === "string" ? body : body === undefined || body === null ? "" : JSON.stringify(body);
  const snippet = text.replace(/\s+/g, " ").trim();
  const shown = snippet ? `: "${snippet.length > 100 ? `${snippet.slice(0, 100)}…` : snippet}"` : ", empty";
  return `the answer (${contentType?.split(";")[0] || "no content type"}${shown}) did not come from Commvault's API; ${CHECK_URL}`;
}

const HINTS: Partial<Record<CommvaultErrorKind, string>> = {
  unauthorized: "check commvault:username and commvault:password (a refresh or destroy logs in with the settings recorded at the last `pulumi up`: after changing them, run `pulumi up` first)",
  forbidden: "the logged-in user lacks the permission for this; an administrator manages service accounts' tokens",
  transient: "the server is busy or unreachable; it is safe to run the command again",
  tls: "the server's certificate is not trusted: set commvault:caBundle to its CA certificate (PEM text or a file), or, for a lab server only, commvault:insecureSkipVerify to true",
};

function hintOf(kind: CommvaultErrorKind, message: string | undefined): string | undefined {
  const special = message ? MESSAGE_HINTS.find(([re]) => re.test(message)) : undefined;
  return special ? special[1] : HINTS[kind];
}

/** Node's and OpenSSL's codes for a certificate that cannot be verified. */
const TLS_CODES = /CERT|SELF_SIGNED|SSL|TLS|ERR_OSSL/;

/**
 * What the factory takes: the error's details, with the kind (and `gone`) left to it unless the
 * kind is forced. `errorCode` must be given only from Commvault's own JSON body: its presence is
 * what lets the message say that something is gone.
 */
export type FailureInput = Omit<CommvaultErrorDetails, "kind" | "gone"> & { kind?: CommvaultErrorKind };

/** The factory: every failure of the client is built here, and passes the redactor here. */
export function commvaultError(input: FailureInput, redactor: Redactor): CommvaultError {
  const errorMessage = input.errorMessage === undefined ? undefined : redactor.scrub(input.errorMessage);
  const kind =
    input.kind ??
    (input.networkCode
      ? TLS_CODES.test(input.networkCode) ? "tls" : "transient"
      : input.status !== undefined && input.status !== 200
        ? kindOfStatus(input.status)
        : kindOfMessage(errorMessage ?? ""));
  const parts = [
    input.status !== undefined ? `HTTP ${input.status}` : undefined,
    input.errorCode !== undefined ? `errorCode ${input.errorCode}` : undefined,
    input.networkCode,
    input.attempts && input.attempts > 1 ? `after ${input.attempts} attempts` : undefined,
  ].filter(Boolean);
  const what = errorMessage || (kind === "tls" ? "the TLS handshake failed" : input.networkCode ? "no answer from the server" : "request failed");
  const hint = hintOf(kind, errorMessage);
  const message = redactor.scrub(
    `Commvault ${input.operation} failed: ${what}${parts.length ? ` (${parts.join(", ")})` : ""}${hint ? `; ${hint}` : ""}`,
  );
  const gone = input.errorCode !== undefined && errorMessage ? goneOfMessage(errorMessage) : undefined;
  return new CommvaultError({ ...input, kind, errorMessage, gone }, message);
}
