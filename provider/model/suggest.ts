import type { CheckFailure } from "./failure";
import { quote } from "./quote";

/** Most stray keys reported one by one; the last one reported says how many more there are. */
const MAX_KEYS = 5;

/**
 * Refusing keys that are not inputs, with the nearest input as a suggestion. A JavaScript program
 * has no compiler to catch `renewablUntil`, and a dropped key silently means "the default": so
 * every resource, function and nested settings object checks its keys here, against its own list.
 */
export interface KeySpec {
  /** Whose keys these are, as "<key> is not an <owner> input" reads: "AccessToken", "AccessToken rotation". */
  owner: string;
  inputs: readonly string[];
  /** Keys the resource sets itself: refused with "read it from the resource" instead. */
  outputs?: readonly string[];
  /** Names users reach for from elsewhere (Commvault's API), mapped to the input they mean. */
  aliases?: Readonly<Record<string, string>>;
  /** Path of a nested settings object, prefixed to each property: "rotation.". */
  prefix?: string;
  /** Keys that belong to the machinery, not the user (`__provider`). */
  ignore?: readonly string[];
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), or `limit + 1` when over. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prev2 = prev;
    prev = row;
  }
  return Math.min(prev[b.length]!, limit + 1);
}

/**
 * The known word a typo most likely meant, or undefined when none is close: at most one edit in
 * three letters, ignoring case and underscores (so `userid` and `user_id` find `userId`). Ties go to
 * the earlier word.
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  // Python's SDK leaves a nested key it does not know as written: `every_dayz` means `everyDays`.
  const w = word.toLowerCase().replace(/_/g, "");
  let found: { word: string; d: number } | undefined;
  for (const k of known) {
    const limit = Math.max(1, Math.floor(k.length / 3));
    const d = editDistance(w, k.toLowerCase(), limit);
    if (d <= limit && (!found || d < found.d)) found = { word: k, d };
  }
  return found?.word;
}

/** A key as a message shows it: plain in backticks when short and simple, else quoted and cut. */
export function showKey(key: string): string {
  return /^[\w$.-]{1,40}$/.test(key) ? `\`${key}\`` : quote(key);
}

/** The property a failure names: the key itself, cut when absurdly long. */
function propertyOf(prefix: string, key: string): string {
  return prefix + (key.length > 100 ? `${key.slice(0, 100)}…` : key);
}

/** The reason one stray key is refused. */
export function strayKeyReason(key: string, spec: KeySpec): string {
  const shown = showKey(key);
  if (spec.outputs?.includes(key)) {
    return `${shown} is an output of ${spec.owner}, set by Commvault, not an input; remove it from the arguments and read it from the resource instead`;
  }
  const alias = Object.hasOwn(spec.aliases ?? {}, key) ? spec.aliases![key] : undefined;
  if (alias) return `${shown} is not an ${spec.owner} input (it is Commvault's API name); did you mean \`${alias}\`?`;
  const near = nearest(key, spec.inputs);
  if (near) return `${shown} is not an ${spec.owner} input; did you mean \`${near}\`?`;
  return `${shown} is not an ${spec.owner} input; remove it. ${spec.owner}'s inputs are ${spec.inputs.join(", ")}`;
}

/**
 * One failure per key of `given` that is not an input (own keys only: `constructor` or
 * `toString` are not inputs just because every object inherits them). A key left undefined was
 * not given. At most a few are reported; the last says how many more there are.
 */
export function strayKeyFailures(given: object, spec: KeySpec): CheckFailure[] {
  const inputs = new Set(spec.inputs);
  const ignore = new Set(spec.ignore ?? []);
  const stray = Object.keys(given).filter((k) => !inputs.has(k) && !ignore.has(k) && (given as Record<string, unknown>)[k] !== undefined);
  const failures = stray.slice(0, MAX_KEYS).map((key) => ({ property: propertyOf(spec.prefix ?? "", key), reason: strayKeyReason(key, spec) }));
  if (stray.length > MAX_KEYS) {
    const last = failures[failures.length - 1]!;
    last.reason += ` (and ${stray.length - MAX_KEYS} more keys that are not ${spec.owner} inputs)`;
  }
  return failures;
}
