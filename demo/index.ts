import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// A platform team's tokens: a CI pipeline's, a backup job's on a service account, a reporting
// tool's limited to the APIs it calls, and the Microsoft SCIM token for Entra ID provisioning.
const ci = new AccessToken("ci-pipeline", {
  name: "ci-pipeline",
  ipAllowlist: ["10.10.0.0/16", "2001:db8:10::/48"],
});

const backup = new AccessToken("nightly-backup", {
  name: "nightly-backup",
  userName: "svc-backup",
  ipAllowlist: ["10.20.0.15", "10.20.0.16"],
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
});

const describe = (t: AccessToken) =>
  pulumi.all([t.name, t.scope, t.userName, t.tokenId, t.ipAllowlist, t.renewableUntil, t.expiresAt]).apply(
    ([name, scope, owner, tokenId, allowlist, renewableUntil, expiresAt]) => ({ name, scope, owner, tokenId, allowlist, until: renewableUntil ?? expiresAt }),
  );

export const tokens = [ci, backup, reporting, scim].map(describe);
/** Secrets stay secrets: `pulumi stack output secrets --show-secrets` reveals them. */
export const secrets = pulumi.secret({ ci: ci.accessToken, backup: backup.accessToken, reporting: reporting.accessToken, scim: scim.accessToken });
