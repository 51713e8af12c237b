import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// A platform team's tokens: a CI pipeline's (a new secret every 45 days, the old one kept a week
// for the switch), a backup job's on a service account (a life of 180 days, extended in place
// whenever 30 are left), a reporting tool's limited to the APIs it calls, and the Microsoft SCIM
// token for Entra ID provisioning (a rolling 30 days).
const ci = new AccessToken("ci-pipeline", {
  name: "ci-pipeline",
  ipAllowlist: ["10.10.0.0/16", "2001:db8:10::/48"],
  renewableFor: "90d",
  rotation: { everyDays: 45, overlapDays: 7 },
});

const backup = new AccessToken("nightly-backup", {
  name: "nightly-backup",
  userName: "svc-backup",
  ipAllowlist: ["10.20.0.15", "10.20.0.16"],
  renewableFor: "180d",
  extendWhenLeft: "30d",
});

const reporting = new AccessToken("reporting", {
  name: "reporting",
  scope: "Custom",
  apiEndpoints: ["/v4/report", "/client"],
  userName: "svc-reporting",
});

const scim = new AccessToken("entra-scim", {
  name: "entra-id-provisioning",
  scope: "MicrosoftSCIM",
  expiresIn: "30d",
});

// What each token is and what its life looks like: the demo prints its health from these.
const describe = (t: AccessToken) =>
  pulumi.output({
    name: t.name, scope: t.scope, owner: t.userName, tokenId: t.tokenId, allowlist: t.ipAllowlist, renewableUntil: t.renewableUntil, expiresAt: t.expiresAt,
    accessTokenExpiresAt: t.accessTokenExpiresAt, renewableFor: t.renewableFor, expiresIn: t.expiresIn, extendWhenLeft: t.extendWhenLeft,
    rotateAfter: t.rotateAfter, generation: t.generation, previous: t.previous,
  });

export const tokens = [ci, backup, reporting, scim].map(describe);
/** Secrets stay secrets: `pulumi stack output secrets --show-secrets` reveals them. */
export const secrets = pulumi.secret({ ci: ci.accessToken, backup: backup.accessToken, reporting: reporting.accessToken, scim: scim.accessToken });
