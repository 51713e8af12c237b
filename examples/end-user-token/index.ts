import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// An end user manages their own token: no userId or userName, so the owner is whoever
// commvault:username names. End users cannot manage anyone else's tokens.
const config = new pulumi.Config();

const token = new AccessToken("my-laptop", {
  name: config.get("tokenName") ?? "my-laptop",
  scope: "All",
  ipAllowlist: config.getObject<string[]>("allowlist") ?? [],
});

export const tokenId = token.tokenId;
export const owner = token.userName;
export const accessTokenExpiresAt = token.accessTokenExpiresAt;
export const accessToken = token.accessToken;
