/** Retry policy as data: what is retried, how often, for how long. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No retry starts after this much time since the first attempt. */
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Statuses worth another try; 500 is not one (the server understood and failed). */
  retryStatuses: readonly number[];
  /** Transport failures worth another try. */
  retryNetworkCodes: readonly string[];
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 60_000,
  baseDelayMs: 200,
  maxDelayMs: 8_000,
  retryStatuses: [429, 502, 503, 504],
  retryNetworkCodes: ["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "ERR_SOCKET_CONNECTION_TIMEOUT", "EAI_AGAIN"],
};

/** Exponential backoff, half fixed and half random (jitter); a Retry-After (seconds or HTTP date) takes precedence. */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfter: string | undefined, random: () => number): number {
  const fromHeader = parseRetryAfter(retryAfter);
  if (fromHeader !== undefined) return Math.min(fromHeader, policy.maxElapsedMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
