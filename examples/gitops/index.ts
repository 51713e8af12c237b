import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AccessToken, type AccessTokenArgs } from "pulumi-commvault-tokens";

// The tokens are data: a pull request that adds, changes or removes a token edits tokens.json;
// the pipeline previews it with the policy pack, applies it on merge, and checks it nightly for
// drift (see README.md). Each key is the token's resource name; its value, AccessToken's inputs.
const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "tokens.json"), "utf8")) as Record<string, AccessTokenArgs>;
const tokens = Object.entries(spec).map(([key, args]) => [key, new AccessToken(key, args)] as const);

export const tokenIds = Object.fromEntries(tokens.map(([key, t]) => [key, t.tokenId]));
export const owners = Object.fromEntries(tokens.map(([key, t]) => [key, t.userName]));
export const ends = Object.fromEntries(tokens.map(([key, t]) => [key, pulumi.all([t.renewableUntil, t.expiresAt]).apply(([r, e]) => r ?? e)]));
/** For each consumer's secret store: `pulumi stack output secrets --show-secrets`. */
export const secrets = pulumi.secret(Object.fromEntries(tokens.map(([key, t]) => [key, t.accessToken])));
