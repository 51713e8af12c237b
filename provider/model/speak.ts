import type { CheckFailure } from "./failure";

/**
 * Check's refusals in the program's language. The core writes each message once, naming fields
 * as the schema does (`rotation.everyDays`) and showing fixes as TypeScript (and YAML) read them
 * (`{ byName: true }`, `set scope: "Custom"`). A Python program wrote `rotation={"every_days": 30}`
 * and a Go program `Rotation: &commvault.AccessTokenRotationArgs{EveryDays: pulumi.Int(30)}`:
 * shown the schema's spelling, their users must translate the fix back themselves. Translating
 * here, from one table of the schema's names, keeps every message's substance in one place.
 */
export type Language = "nodejs" | "yaml" | "python" | "go";

/** Nested settings objects: their keys, and the Go SDK's struct for them. */
const NESTED: Record<string, { keys: readonly string[]; goType: string }> = {
  rotation: { keys: ["everyDays", "beforeEndDays", "overlapDays"], goType: "AccessTokenRotationArgs" },
  adopt: { keys: ["tokenId", "byName", "thenRotate"], goType: "AccessTokenAdoptArgs" },
};

/** The schema's input and output names of AccessToken (sdk/python and sdk/go are generated from them). */
const FIELDS = [
  "name", "scope", "apiEndpoints", "renewableUntil", "expiresAt", "ipAllowlist", "userId", "userName", "replaceOnForbiddenScopeChange",
  "renewableFor", "expiresIn", "extendWhenLeft", "rotation", "rotationTrigger", "server", "adopt", "sealTo",
  "tokenId", "accessToken", "refreshToken", "createdAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "rotatedAt", "previous", "sealedPair", "secretFingerprint",
  "generation", "rotateAfter",
];
const NESTED_KEYS = new Set(Object.values(NESTED).flatMap((n) => n.keys));
const KNOWN = new Set([...FIELDS, ...NESTED_KEYS]);

/** `everyDays` as Python's generated SDK spells it: `every_days`. */
export const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** `everyDays` as Go's generated SDK spells it: `EveryDays`. */
export const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** A field path of the schema (`rotation.everyDays`, `sealTo[0]`, `ipAllowlist`) as the language writes it. */
export function spell(path: string, lang: Language | undefined): string {
  if (lang === "python") return path.replace(/[A-Za-z]+/g, (w) => (KNOWN.has(w) ? snake(w) : w));
  if (lang === "go") return path.replace(/[A-Za-z]+/g, (w) => (KNOWN.has(w) ? pascal(w) : w));
  return path;
}

/** How one field is written in a Python and a Go program: `rotation={"every_days": ...}`, `Rotation: &commvault.AccessTokenRotationArgs{EveryDays: ...}`. */
export function written(path: string, lang: "python" | "go"): string {
  const [top = path, key] = path.replace(/\[\d+\]$/, "").split(".");
  if (lang === "python") return key === undefined ? `${snake(top)}=...` : `${snake(top)}={"${snake(key)}": ...}`;
  const nested = NESTED[top];
  return key === undefined || !nested ? `${pascal(top)}: ...` : `${pascal(top)}: &commvault.${nested.goType}{${pascal(key)}: ...}`;
}

/** A literal of TypeScript's (`"All"`, `30`, `true`) as the language writes it. */
function literal(value: string, lang: "python" | "go"): string {
  if (lang === "python") return value === "true" ? "True" : value === "false" ? "False" : value;
  if (value.startsWith('"')) return `pulumi.String(${value})`;
  if (value === "true" || value === "false") return `pulumi.Bool(${value})`;
  return /^\d+$/.test(value) ? `pulumi.Int(${value})` : value;
}

/** Fixes written as TypeScript object literals, in the other languages (each key optional). */
const OBJECT_FIXES: { ts: string; python: string; go: string }[] = [
  {
    ts: "{ everyDays?: number, beforeEndDays?: number, overlapDays?: number }",
    python: 'rotation={"every_days": <days>, "before_end_days": <days>, "overlap_days": <days>}',
    go: "Rotation: &commvault.AccessTokenRotationArgs{EveryDays: pulumi.Int(<days>), BeforeEndDays: pulumi.Int(<days>), OverlapDays: pulumi.Int(<days>)}",
  },
  {
    ts: "use { tokenId: <id> } or { byName: true }, and thenRotate: true",
    python: 'use adopt={"token_id": <id>} or adopt={"by_name": True}, and "then_rotate": True',
    go: "use Adopt: &commvault.AccessTokenAdoptArgs{TokenId: pulumi.Int(<id>)} or &commvault.AccessTokenAdoptArgs{ByName: pulumi.Bool(true)}, and ThenRotate: pulumi.Bool(true)",
  },
];

/** A message's text in Python or Go: its fixes, literals and field names as that program writes them. */
export function translate(text: string, lang: "python" | "go"): string {
  let out = text;
  for (const fix of OBJECT_FIXES) out = out.split(fix.ts).join(fix[lang]);
  // `set scope: "Custom"`, `set userId: 22`, `set replaceOnForbiddenScopeChange: true`.
  out = out.replace(/\bset (\w+): ("[^"]*"|\d+|true|false)/g, (all, field: string, value: string) =>
    KNOWN.has(field) ? `set ${lang === "python" ? `${snake(field)}=` : `${pascal(field)}: `}${literal(value, lang)}` : all,
  );
  if (lang === "python") out = out.replace(/\b(must be|use) true or false\b/g, "$1 True or False").replace(/\bnot (true|false)\b/g, (_all, b: string) => `not ${b === "true" ? "True" : "False"}`);
  // A list of text as a fix (`e.g. ["10.0.0.0/8", "2001:db8::1"]`) is a StringArray in Go.
  if (lang === "go") out = out.replace(/\[("[^"[\]]*"(?:, "[^"[\]]*")*)\]/g, (_all, items: string) => `pulumi.StringArray{${items.replace(/"[^"]*"/g, (s) => `pulumi.String(${s})`)}}`);
  // Field names: every camelCase one and every path (`rotation.everyDays`); a bare lowercase
  // word (`scope`, `name`) only in backticks, since it is also an English word.
  // A quoted stretch is the user's own value (`name "renewableFor"`) or already the language's: kept.
  return out
    .split(/("(?:[^"\\]|\\.)*")/)
    .map((part, i) => (i % 2 ? part : part.replace(/\b[a-z]+(?:\.[a-z][A-Za-z]*|\[\d+\])+|\b[a-z]+[A-Z][A-Za-z]*\b|`[a-z]+`/g, (w) => (/[A-Z.[`]/.test(w) ? spell(w, lang) : w))))
    .join("");
}

/** The nested key a stray-key refusal suggests (`did you mean \`everyDays\`?`), with its parent's path. */
const suggested = (f: CheckFailure) => {
  const m = /did you mean `(\w+)`\?/.exec(f.reason);
  if (!m) return undefined;
  const parent = f.property.includes(".") ? f.property.slice(0, f.property.lastIndexOf(".") + 1) : "";
  return parent + m[1];
};

/**
 * With the language unknown, the schema's name and, once, its Python and Go spellings:
 * `rotation.everyDays (Python rotation={"every_days": ...}, Go Rotation: &commvault.AccessTokenRotationArgs{EveryDays: ...})`.
 */
function withSpellings(f: CheckFailure): string {
  const path = suggested(f) ?? f.property.replace(/\[\d+\]$/, "");
  const top = path.split(".")[0]!;
  if (!KNOWN.has(top) || !path.split(".").every((w) => KNOWN.has(w))) return f.reason;
  const note = ` (Python ${written(path, "python")}, Go ${written(path, "go")})`;
  const at = f.reason.search(new RegExp(`(?<![\\w.])\`?${path.replace(/[.[\]]/g, "\\$&")}\`?(?![\\w.])`));
  if (at < 0) return `${f.reason}${note}`;
  const end = at + (f.reason.slice(at).match(/^`?[\w.]+`?/)?.[0].length ?? path.length);
  return f.reason.slice(0, end) + note + f.reason.slice(end);
}

/**
 * Check's failures as the provider plugin gives them to the engine, for a program in `lang`
 * (undefined: not known). The engine prints a failure of a property as `property <p> value {<v>}`,
 * naming <p> as the schema does and looking it up among the top-level inputs only: for a nested
 * one it prints `{<nil>}`, its own text and wrong. A nested failure therefore goes as the
 * resource's, and so does every failure of a Python or Go program, whose fields have other
 * names; its reason then starts with the field as the program wrote it.
 */
export function localize(failures: readonly CheckFailure[], lang: Language | undefined): CheckFailure[] {
  return failures.map((f) => {
    const reason = lang === "python" || lang === "go" ? translate(f.reason, lang) : lang === undefined ? withSpellings(f) : f.reason;
    if (!/[.[]/.test(f.property) && lang !== "python" && lang !== "go") return { property: f.property, reason };
    const field = spell(f.property, lang);
    if (!field || reason.startsWith(field)) return { property: "", reason };
    // A reason that starts with the field itself (`scope cannot change`, `name is empty`): the field
    // in the language's spelling (`Scope cannot change`), not `Scope: scope cannot change`.
    if (reason.startsWith(`${f.property} `)) return { property: "", reason: field + reason.slice(f.property.length) };
    return { property: "", reason: `${field}: ${reason}` };
  });
}

/** A stray nested key with `_` was left as written by Python's SDK, which translates only the keys it knows. */
export function looksLikePython(news: Record<string, unknown>): boolean {
  return Object.keys(NESTED).some((k) => {
    const v = news[k];
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).some((key) => key.includes("_"));
  });
}
