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

export interface CommvaultErrorDetails {
  kind: CommvaultErrorKind;
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
    const { kind, operation, method, path, status, errorCode, errorMessage, networkCode, attempts } = this;
    return { name: this.name, message: this.message, kind, operation, method, path, status, errorCode, errorMessage, networkCode, attempts };
  }
}

/** Raised when a create's answer was lost and the token turned out to exist: its secret is gone. */
export class CreateAnswerLostError extends CommvaultError {
  constructor(
    d: CommvaultErrorDetails,
    readonly accessTokenId: number,
    readonly userId: number,
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

/**
 * Application errors that arrive as HTTP 200 (contract section 6) carry no status; their kind is
 * read from the message. Kept in one place so a real server's wording can be taught here.
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

const HINTS: Partial<Record<CommvaultErrorKind, string>> = {
  unauthorized: "check commvault:username and commvault:password",
  forbidden: "the logged-in user lacks the permission for this; an administrator manages service accounts' tokens",
  transient: "the server is busy or unreachable; it is safe to run the command again",
  tls: "the server's certificate is not trusted: set commvault:caBundle to its CA certificate (PEM text or a file), or, for a lab server only, commvault:insecureSkipVerify to true",
};

/** Node's and OpenSSL's codes for a certificate that cannot be verified. */
const TLS_CODES = /CERT|SELF_SIGNED|SSL|TLS|ERR_OSSL/;

/** What the factory takes: the error's details, with the kind left to it unless forced. */
export type FailureInput = Omit<CommvaultErrorDetails, "kind"> & { kind?: CommvaultErrorKind };

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
  const hint = HINTS[kind];
  const message = redactor.scrub(
    `Commvault ${input.operation} failed: ${what}${parts.length ? ` (${parts.join(", ")})` : ""}${hint ? `; ${hint}` : ""}`,
  );
  return new CommvaultError({ ...input, kind, errorMessage }, message);
}
