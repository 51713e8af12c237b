import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// An administrator issues the backup job's token on the service account that runs it, usable
// only from the backup network. Run with an administrator's commvault:username/password.
const config = new pulumi.Config();
const networks = config.getObject<string[]>("backupNetworks") ?? ["10.20.0.0/16"];

const token = new AccessToken("nightly-backup", {
  name: "nightly-backup",
  userName: "svc-backup",
  ipAllowlist: networks,
  // Left out, Commvault's default applies (90 days after creation). Set an RFC 3339 time in
  // backup-service-account:renewableUntil to extend it in place, without a new secret.
  renewableUntil: config.get("renewableUntil"),
});

export const tokenId = token.tokenId;
export const owner = token.userName;
export const allowedFrom = token.ipAllowlist;
export const renewableUntil = token.renewableUntil;
/** Hand this to the backup job's secret store: `pulumi stack output accessToken --show-secrets`. */
export const accessToken = token.accessToken;
export const refreshToken = token.refreshToken;
