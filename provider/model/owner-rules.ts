/** Commvault's rule on who may hold whose tokens (contract section 3), as users are told it. */
export const OTHER_PERSON_RULE =
  "nobody creates an access token for another person; that person creates it (logged in as themselves), " +
  "and an administrator may then manage it. Administrators create tokens only for themselves and for service accounts";

/** Shown in the preview when the configured login changed under a token that names no owner. */
export function ownerKeptMessage(resource: string, owner: string, caller: string): string {
  return (
    `access token "${resource}" names no owner, so it stays with ${owner}, its owner since creation, although the provider now logs in as ${caller}. ` +
    `To move it on purpose, set userId or userName on the resource: a different owner replaces the token (a new secret).`
  );
}
