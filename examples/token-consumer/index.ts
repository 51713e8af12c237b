import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// A reporting job's token on the service account that runs it, handed to one consumer
// (consumer.ts), which renews it on its own. Run with an administrator's commvault:username.
const config = new pulumi.Config();

const token = new AccessToken("reporting-job", {
  name: "reporting-job",
  userName: "svc-reporting",
  // A rolling lifetime: once less than 10 days of the 30 are left, `pulumi up` extends it in
  // place (same id, same secret), so the consumer never notices.
  renewableFor: "30d",
  extendWhenLeft: "10d",
  // A new secret every 30 days; the old token keeps working for 7 more, while the consumer
  // switches to the new pair, and the first `pulumi up` after that revokes it.
  rotation: { everyDays: 30, overlapDays: 7 },
  // Any new value rotates at the next `pulumi up`, e.g. when the consumer lost its pair:
  // `pulumi config set token-consumer:rotationTrigger "$(date -u +%F)"`.
  rotationTrigger: config.get("rotationTrigger"),
  // Optional, and the mode for CI: seal the pair to the consumer's age key, so that neither the
  // state nor the outputs ever hold it: `pulumi config set --path 'token-consumer:sealTo[0]' age1...`
  // (the consumer's `age-keygen -y key.txt`). Changing it later issues a new secret (a rotation).
  sealTo: config.getObject<string[]>("sealTo"),
});

// What the consumer reads: `pulumi stack output --json --show-secrets > stack-output.json`.
export const tokenId = token.tokenId;
export const generation = token.generation;
export const renewableUntil = token.renewableUntil;
/** The bootstrap pair: the consumer renews it once, then only ever its own newer pair. */
export const accessToken = token.accessToken;
export const refreshToken = token.refreshToken;
/** With sealTo, instead of the pair: its age ciphertext (the consumer opens it with --identity), and a fingerprint. */
export const sealedPair = token.sealedPair;
export const secretFingerprint = token.secretFingerprint;
