/** The scopes a user writes, and Commvault's tokenType integers (contract section 4). */
export const SCOPES = ["All", "Custom", "Hyperscale", "MicrosoftSCIM", "OneTouchRecovery"] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_TYPE: Record<Scope, number> = { All: 2, Custom: 3, Hyperscale: 5, MicrosoftSCIM: 1, OneTouchRecovery: 4 };

export function scopeOf(tokenType: number): Scope {
  const found = SCOPES.find((s) => TOKEN_TYPE[s] === tokenType);
  if (tokenType === 0) return "All";
  if (!found) throw new Error(`Commvault returned tokenType ${tokenType}, which this provider does not know`);
  return found;
}

/** Scopes whose life is an expiry date and that can never change scope, nor be changed into. */
export function isFixedScope(scope: Scope): boolean {
  return scope === "MicrosoftSCIM" || scope === "OneTouchRecovery";
}

/** Commvault changes scope in place only among All, Custom and Hyperscale. */
export function scopeChangeAllowed(from: Scope, to: Scope): boolean {
  return from === to || (!isFixedScope(from) && !isFixedScope(to));
}

const LABEL: Record<Scope, string> = {
  All: "All",
  Custom: "Custom",
  Hyperscale: "Hyperscale",
  MicrosoftSCIM: "Microsoft SCIM",
  OneTouchRecovery: "1-Touch recovery",
};

/** The refusal shown at preview: names both scopes, the rule, and the two ways forward. */
export function forbiddenScopeChangeMessage(from: Scope, to: Scope): string {
  const fixed = isFixedScope(from) ? from : to;
  return (
    `scope cannot change from "${from}" to "${to}": Commvault never changes the scope of a ` +
    `${LABEL[fixed]} token, and no token can be changed into one; scope changes in place only among ` +
    `All, Custom and Hyperscale. To proceed, either keep scope "${from}", or set ` +
    `replaceOnForbiddenScopeChange: true to replace the token: a new token with a new secret is ` +
    `created and the old one is revoked, so every consumer of the old secret must be updated.`
  );
}
