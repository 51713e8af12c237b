import * as pulumi from "@pulumi/pulumi";
import { AccessToken } from "pulumi-commvault-tokens";

// One Custom-scope token per team, each limited to the API endpoints that team calls, all owned by
// a reporting service account. Teams come from stack config, so adding a team is a config change.
interface Team {
  name: string;
  endpoints: string[];
  allowlist?: string[];
}

const config = new pulumi.Config();
const teams = config.requireObject<Team[]>("teams");
const owner = config.get("owner") ?? "svc-reporting";

const tokens = teams.map(
  (team) =>
    new AccessToken(`team-${team.name}`, {
      name: `team-${team.name}`,
      scope: "Custom",
      apiEndpoints: team.endpoints,
      ipAllowlist: team.allowlist ?? [],
      userName: owner,
    }),
);

export const tokenIds = Object.fromEntries(teams.map((t, i) => [t.name, tokens[i]!.tokenId]));
export const endpoints = Object.fromEntries(teams.map((t, i) => [t.name, tokens[i]!.apiEndpoints]));
export const secrets = pulumi.secret(Object.fromEntries(teams.map((t, i) => [t.name, tokens[i]!.accessToken])));
