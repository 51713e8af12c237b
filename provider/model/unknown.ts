/** The value the engine sends in place of anything not yet known during a preview (pulumi#6310). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True for the sentinel, or an array that holds it: such inputs are passed through unchecked. */
export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN || (Array.isArray(v) && v.some((e) => e === UNKNOWN));
}
