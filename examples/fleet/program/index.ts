import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AccessToken, type AccessTokenArgs } from "pulumi-commvault-tokens";
import { parse } from "yaml";

// One stack per CommServe. The stack's config says which CommServe it is (fleet:commserve, a key
// of tokens.yaml) and which server profile reaches it (fleet:profile, by default the same name);
// tokens.yaml says which tokens live there. The same program serves every stack.
const fleet = new pulumi.Config("fleet");
const commserve = fleet.require("commserve");
const profile = fleet.get("profile") ?? commserve;
const file = path.resolve(__dirname, fleet.get("tokensFile") ?? "../tokens.yaml");

const all = parse(fs.readFileSync(file, "utf8")) as unknown;
if (!all || typeof all !== "object" || Array.isArray(all)) {
  throw new Error(`${file}: expected a mapping of CommServe names to their tokens`);
}
const mine = (all as Record<string, unknown>)[commserve];
if (mine === undefined) {
  throw new Error(
    `fleet:commserve is "${commserve}", which ${file} does not list (it lists ${Object.keys(all).join(", ") || "nothing"}); ` +
      `add "${commserve}:" there, or set fleet:commserve to one of those`,
  );
}
// A CommServe with no tokens left is an empty mapping (or `{}`): its stack then deletes them all.
const spec = (mine ?? {}) as Record<string, unknown>;
if (typeof spec !== "object" || Array.isArray(spec)) {
  throw new Error(`${file}: ${commserve} must map token resource names to AccessToken inputs`);
}

const tokens = Object.entries(spec).map(([key, args]) => {
  if (!args || typeof args !== "object" || Array.isArray(args)) {
    throw new Error(`${file}: ${commserve}.${key} must be a mapping of AccessToken inputs (name, userName, scope, ...)`);
  }
  if ("server" in args) {
    throw new Error(`${file}: ${commserve}.${key} sets server; remove it: the stack's fleet:profile says which CommServe its tokens live on`);
  }
  return [key, new AccessToken(key, { ...(args as AccessTokenArgs), server: profile })] as const;
});

export const server = commserve;
export const tokenIds = Object.fromEntries(tokens.map(([key, t]) => [key, t.tokenId]));
/** For each consumer's secret store: `pulumi stack output secrets --show-secrets --stack <CommServe>`. */
export const secrets = pulumi.secret(Object.fromEntries(tokens.map(([key, t]) => [key, t.accessToken])));
