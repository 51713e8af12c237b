import * as pulumi from "@pulumi/pulumi";
import { AccessToken, listAccessTokens } from "pulumi-commvault-tokens";

// The replication job's token on the service account svc-backup, on every CommServe this stack
// knows: the default one (commvault:url, commvault:username, commvault:password) and each profile
// in commvault:servers (commvault:servers.dr.url, .username, .password as a secret). Only the
// profiles' names are read here; their settings go to the provider, never into the program or state.
const profiles = Object.keys(new pulumi.Config("commvault").getObject<Record<string, unknown>>("servers") ?? {});
const servers = ["default", ...profiles];

// Where each CommServe's token may be used from: two-commserves:networks.<server>, a list.
const config = new pulumi.Config();
const networks = config.getObject<Record<string, string[]>>("networks") ?? {};

const tokens = servers.map(
  (server) =>
    new AccessToken(server === "default" ? "replication" : `replication-${server}`, {
      name: "replication",
      userName: "svc-backup",
      ipAllowlist: networks[server] ?? [],
      // Left out: the default settings. A profile's name: that CommServe.
      server: server === "default" ? undefined : server,
    }),
);

export const tokenIds = Object.fromEntries(servers.map((s, i) => [s, tokens[i]!.tokenId]));
/** Hand each CommServe's secret to its replication job: `pulumi stack output secrets --show-secrets`. */
export const secrets = pulumi.secret(Object.fromEntries(servers.map((s, i) => [s, tokens[i]!.accessToken])));

// Reading without managing: every token svc-backup holds on each CommServe, hand-made ones too
// (never a secret). Listed once the token above exists, since it asks for that token's owner.
export const svcBackupTokens = Object.fromEntries(
  servers.map((s, i) => [
    s,
    listAccessTokens({ userId: tokens[i]!.userId, server: s === "default" ? undefined : s }).apply((ts) => ts.map((t) => `${t.name} (id ${t.tokenId}, ${t.scope})`)),
  ]),
);
