import type { RetryPolicy } from "./retry";

/** How the session token is presented (contract section 2; real servers and proxies differ). */
export type HeaderStyle = "qsdk" | "bare" | "bearer";

export interface ClientSettings {
  /** API base, e.g. https://cs.example.com/commandcenter/api */
  url: string;
  username: string;
  password: string;
  /** qsdk: `Authtoken: QSDK <hex>` (default); bare: `Authtoken: <hex>`; bearer: `Authorization: Bearer <hex>`. */
  headerStyle?: HeaderStyle;
  /** Per request, in milliseconds. Default 30 s. */
  timeoutMs?: number;
  /** PEM text of the CA certificates to trust for TLS. */
  caBundle?: string;
  /** Skip TLS verification. Off by default; for lab servers with self-signed certificates only. */
  insecureSkipVerify?: boolean;
  retry?: Partial<RetryPolicy>;
}

export interface RetryNotice {
  operation: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

/** What tests (and the provider) inject instead of real time, randomness and logging. */
export interface ClientHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  onRetry?: (notice: RetryNotice) => void;
  /** A PUT or DELETE of this token ended (either way: a failed one may still have been carried out). */
  onWrite?: (accessTokenId: number) => void;
}

export const HEADER_STYLES: readonly HeaderStyle[] = ["qsdk", "bare", "bearer"];
