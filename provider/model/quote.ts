/**
 * Bounded quoting for failure messages: a reason names what is wrong without repeating a
 * megabyte of input, and the engine prints each reason as given.
 */

/** Longest stretch of a user's text that a message repeats. */
const MAX_TEXT = 40;
/** Most bad entries (or keys) that one message lists. */
export const MAX_LISTED = 3;

/** A value as JSON text, cut after MAX_TEXT characters with the full length said. */
export function quote(value: unknown): string {
  if (typeof value !== "string") return kindOf(value);
  // Count code points, and never cut a surrogate pair in half.
  const chars = [...value.slice(0, MAX_TEXT * 2 + 2)];
  if (chars.length <= MAX_TEXT) return JSON.stringify(value);
  return `${JSON.stringify(chars.slice(0, MAX_TEXT).join(""))}… (${value.length} characters)`;
}

/** What a value is, for "expected a list, got a number (5)". Never more than a short number. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case "string":
      return `the string ${quote(value)}`;
    case "number":
      return `the number ${String(value).length <= 24 ? String(value) : "(too long to show)"}`;
    case "boolean":
      return String(value);
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}

/** The first few items, then "and N more". */
export function listSome(items: readonly string[], max = MAX_LISTED): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
