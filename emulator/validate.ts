import { TOKEN_TYPES } from "./contract";
import { fail } from "./http";

/** Hand-written body checks: the emulator shares no schema with the client by design. */
export type Body = Record<string, unknown>;

export function asBody(body: unknown): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw fail.validation("Request body must be a JSON object");
  return body as Body;
}

export function optionalInt(body: Body, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v !== "number" || !Number.isInteger(v)) throw fail.validation(`${field} must be an integer`);
  return v;
}

export function optionalStringArray(body: Body, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((e) => typeof e !== "string")) {
    throw fail.validation(`${field} must be an array of strings`);
  }
  return v as string[];
}

const NAMES = new Map<string, number>(Object.entries(TOKEN_TYPES).map(([k, v]) => [k.toLowerCase(), v]));

/** Accepts the integers 0-5 or their names; DEFAULT is stored as ALL. */
export function optionalTokenType(body: Body): number | undefined {
  const v = body.tokenType;
  if (v === undefined || v === null) return undefined;
  let n: number | undefined;
  if (typeof v === "number" && Number.isInteger(v)) n = v;
  else if (typeof v === "string") n = /^\d+$/.test(v) ? Number(v) : NAMES.get(v.toLowerCase());
  if (n === undefined || n < 0 || n > 5) {
    throw fail.validation(`tokenType must be one of 0-5 or ${Object.keys(TOKEN_TYPES).join(", ")}`);
  }
  return n === TOKEN_TYPES.DEFAULT ? TOKEN_TYPES.ALL : n;
}

export function tokenTypeName(n: number): string {
  return Object.entries(TOKEN_TYPES).find(([k, v]) => v === n && k !== "DEFAULT")?.[0] ?? String(n);
}
