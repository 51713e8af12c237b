import type { IncomingHttpHeaders } from "node:http";
import { ERRORS } from "./contract";

/** A Commvault application error: thrown by handlers, shaped into a response by the router. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const fail = {
  validation: (message: string) => new ApiFailure(400, ERRORS.validation.code, message),
  of: (status: number, e: { code: number; message: string }) => new ApiFailure(status, e.code, e.message),
};

/**
 * Where an operation's application error sits in an HTTP 200 (contract section 6): `nested` is
 * `{error:{errorCode,errorMessage}}` (create, modify), `flat` is `{errorCode, errorMessage}`
 * (delete, list, renew), each where Commvault's Python SDK reads it.
 */
export type Envelope = "nested" | "flat";

export interface ApiRequest {
  method: string;
  /** Path below the API base, lower-cased, single slashes, no trailing slash. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  remote: string | undefined;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown): ApiResponse => ({ status: 200, body });

/** Lower-cases, folds doubled slashes, drops the trailing slash and the `/commandcenter/api` base. */
export function normalisePath(rawPath: string): string | undefined {
  let p = rawPath.replace(/\/{2,}/g, "/").toLowerCase();
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  if (p.startsWith("/__emulator")) return p;
  const base = "/commandcenter/api";
  if (p === base) return "/";
  if (!p.startsWith(`${base}/`)) return undefined;
  return p.slice(base.length);
}
