import type { ListedAccessToken } from "../connection/list";

/** What `discover` found: the tokens of each user it listed, in the order listed. */
export interface Discovered {
  /** Where and as whom it listed (never the password). */
  url: string;
  username: string;
  /** The profile each token gets as `server`, if any. */
  server?: string;
  users: { userId: number; userName: string; tokens: ListedAccessToken[] }[];
  /** Tokens left out, and why (one line each). */
  notes: string[];
}

/** A token kept aside by a rotation (`<name>~g<n>`): its resource already holds it as `previous`. */
export const ASIDE = /~g\d+$/;

/**
 * Whether a listed token is a rotation's aside token: named `<name>~g<n>` while its owner also
 * has the token `<name>` (a hand-made `x~g1` with no `x` is an ordinary token, to adopt).
 */
export function isAside(name: string, siblings: readonly { name: string }[]): boolean {
  if (!ASIDE.test(name)) return false;
  const base = name.replace(ASIDE, "").toLowerCase();
  return siblings.some((t) => t.name.toLowerCase() === base);
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "") || "token";

const camel = (text: string) => slug(text).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Names that are unique: the second "x" is "x-2" (resources) or "x2" (variables). */
function uniquer(join: string): (base: string) => string {
  const taken = new Set<string>();
  return (base) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}${join}${n}`;
    taken.add(name);
    return name;
  };
}

const lit = (v: unknown) => JSON.stringify(v);
const list = (xs: string[]) => `[${xs.map(lit).join(", ")}]`;

/** The rolling lifetime a user may add, per scope (each a little under Commvault's default). */
function lifetimeHint(t: ListedAccessToken): string {
  if (t.scope === "MicrosoftSCIM") return `// expiresIn: "30d", // a rolling lifetime: extended in place (same secret) before it ends`;
  if (t.scope === "OneTouchRecovery") return `// expiresIn: "7d", // a rolling lifetime: extended in place (same secret) before it ends`;
  return `// renewableFor: "90d", // a rolling lifetime: extended in place (same secret) before it ends`;
}

/**
 * A ready TypeScript program: one AccessToken per token, adopted by id, declaring the token as it
 * is (so that the first `up` makes no write and the next preview no change). Lifetimes are left
 * out: a token keeps its own, and a dead token of Commvault's default lifetime is extended in place.
 */
export function renderProgram(d: Discovered, now: Date): string {
  const resourceName = uniquer("-");
  const variable = uniquer("");
  const out: string[] = [
    `// Written by \`pulumi-commvault-tokens discover\` on ${now.toISOString().replace(/\.\d{3}Z$/, "Z")} from ${d.url}, logged in as ${d.username}.`,
    "//",
    "// Each AccessToken takes over its existing token at the first `pulumi up` (adopt): no new token, no",
    "// revoke, no new secret, so its consumers keep working. Commvault never shows a secret again, so",
    "// `secretKnown` is false; `adopt: { tokenId, thenRotate: true }` with `rotation` issues a known one",
    "// at once, keeping the old token working for the overlap. Once adopted, `adopt` is inert: delete it",
    "// whenever you like. Lifetimes are left out, so each token keeps its own; uncomment a rolling one",
    "// to have `pulumi up` extend it in place. Settings: commvault:url, commvault:username and",
    "// commvault:password (--secret) in stack config" + (d.server ? `, here the profile commvault:servers.${d.server}.` : "."),
    ...d.notes.map((note) => `// Left out: ${note}`),
    'import { AccessToken } from "pulumi-commvault-tokens";',
    "",
  ];
  const exported: [string, string][] = [];
  for (const user of d.users) {
    const kept = user.tokens.filter((t) => !isAside(t.name, user.tokens));
    out.push(`// ${user.userName} (user id ${user.userId}): ${kept.length === 0 ? "no access tokens" : `${kept.length} access token${kept.length === 1 ? "" : "s"}`}`);
    for (const t of user.tokens.filter((x) => isAside(x.name, user.tokens))) {
      out.push(`// Left out: "${t.name}" (id ${t.tokenId}), kept aside by a rotation of a token that Pulumi already manages`);
    }
    for (const t of kept) {
      const name = resourceName(`${slug(user.userName)}-${slug(t.name)}`);
      const v = variable(`${camel(name)}Token`.replace(/^(\d)/, "t$1"));
      exported.push([name, v]);
      out.push(`const ${v} = new AccessToken(${lit(name)}, {`);
      out.push(`  name: ${lit(t.name)},`);
      if (t.scope !== "All") out.push(`  scope: ${lit(t.scope)},`);
      if (t.apiEndpoints?.length) out.push(`  apiEndpoints: ${list(t.apiEndpoints)},`);
      if (t.ipAllowlist === undefined) out.push("  // ipAllowlist: the server's list does not show allow lists; declare the token's own here");
      else if (t.ipAllowlist.length) out.push(`  ipAllowlist: ${list(t.ipAllowlist)},`);
      out.push(`  userId: ${t.userId}, // ${user.userName}`);
      if (d.server) out.push(`  server: ${lit(d.server)},`);
      out.push(`  adopt: { tokenId: ${t.tokenId} },`);
      out.push(`  ${lifetimeHint(t)}`);
      out.push("});");
    }
    out.push("");
  }
  out.push("/** Commvault's id of each token, by resource name. */");
  out.push(`export const tokenIds = {${exported.map(([n, v]) => `\n  ${lit(n)}: ${v}.tokenId,`).join("")}${exported.length ? "\n" : ""}};`);
  return out.join("\n") + "\n";
}
