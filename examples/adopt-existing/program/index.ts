import { AccessToken, listAccessTokens } from "pulumi-commvault-tokens";

// Two tokens someone made by hand (../make-by-hand.js makes them on the emulator), taken over at
// the first `pulumi up` instead of being created. Adoption is refused at preview, before any write,
// when the token is missing, belongs to another owner, or is of another scope class.

// 1. As it is: the backup job keeps its secret. Declared exactly as it is, so the adoption makes
//    no API write at all; a field declared differently would be one PUT (same id, same secret).
//    Its secret stays unknown to Pulumi (secretKnown: false): Commvault never shows it again.
const backup = new AccessToken("nightly-backup", {
  name: "nightly-backup",
  userName: "svc-backup",
  ipAllowlist: ["10.20.0.0/16"],
  adopt: { byName: true },
});

// 2. Adopted, then rotated at once: a new token with a secret Pulumi knows takes the name, and the
//    hand-made one keeps working as "ci-pipeline~g1" for the overlap (7 days), so its consumers
//    can switch; the first `pulumi up` after that revokes it.
const ci = new AccessToken("ci-pipeline", {
  name: "ci-pipeline",
  ipAllowlist: ["10.0.0.0/8"],
  rotation: { everyDays: 90, overlapDays: 7 },
  adopt: { byName: true, thenRotate: true },
});

export const backupTokenId = backup.tokenId;
export const backupSecretKnown = backup.secretKnown; // false
export const ciTokenId = ci.tokenId;
export const ciPrevious = ci.previous; // the hand-made token, aside until its retirement
/** `pulumi stack output ciSecret --show-secrets`: the new secret, for the CI system. */
export const ciSecret = ci.accessToken;

// Reading without managing: what svc-backup holds now, hand-made or not (never a secret).
export const svcBackupTokens = listAccessTokens({ userName: "svc-backup" }).apply((ts) => ts.map((t) => t.name));
