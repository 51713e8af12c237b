import * as pulumi from "@pulumi/pulumi";

/** Whose tokens, and on which CommServe. */
export interface ListAccessTokensArgs {
  /** The owner's user id. Neither userId nor userName: the logged-in user. */
  userId?: pulumi.Input<number>;
  /** The owner's user name, instead of userId. */
  userName?: pulumi.Input<string>;
  /** A CommServe profile of stack config (`commvault:servers.<name>`); left out, the default `commvault:*` settings. */
  server?: pulumi.Input<string>;
}

/** An existing access token as Commvault lists it. Never a secret. (A type only: nothing of the provider loads with the SDK.) */
export type { ListedAccessToken } from "../provider/connection/list";
import type { ListedAccessToken } from "../provider/connection/list";

const SETTING_NAMES = ["url", "username", "headerStyle", "timeoutSeconds", "caBundle", "insecureSkipVerify"] as const;

/**
 * The existing tokens of one user on one CommServe, for programs that only look (e.g. to check
 * that a hand-made token exists): no resource, no write, no secret. It reads the same stack config
 * as the provider: the default `commvault:*` settings (with the COMMVAULT_* environment fall-back),
 * or the profile `commvault:servers.<server>`. It logs in when the values are known, at preview
 * too. The password stays in memory; the tokens come back as a plain (not secret) Output.
 *
 * ```ts
 * const existing = listAccessTokens({ userName: "svc-backup", server: "dr" });
 * export const handMade = existing.apply((ts) => ts.some((t) => t.name === "legacy-backup"));
 * ```
 */
export function listAccessTokens(args: ListAccessTokensArgs = {}): pulumi.Output<ListedAccessToken[]> {
  const config = new pulumi.Config("commvault");
  const plain: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const v = config.get(name);
    if (v !== undefined) plain[name] = v;
  }
  const settings = pulumi.all([
    pulumi.output(args.server),
    config.getSecret("password") ?? pulumi.output(undefined),
    config.getSecretObject<unknown>("servers") ?? pulumi.output(undefined),
  ]);
  const listed = pulumi.all([args.userId, args.userName, settings]).apply(async ([userId, userName, [server, password, servers]]) => {
    // The core (HTTP client, schemas) loads only when the function is used, and never into an
    // AccessToken's serialized provider, which stays a require of the installed package.
    const core = require("../provider/connection/list") as typeof import("../provider/connection/list");
    const config = require("../provider/connection/config") as typeof import("../provider/connection/config");
    const query = core.readQuery({ userId, userName });
    if (server === undefined || server === null) {
      return core.listWithSettings({ ...plain, ...(password === undefined ? {} : { password }) }, process.env, undefined, query);
    }
    const profiles = config.parseServers(servers === undefined ? undefined : JSON.stringify(servers));
    return core.listWithSettings(core.profileOf(profiles, server), process.env, server, query) as Promise<ListedAccessToken[]>;
  });
  // The list holds no secret; only the settings that fetched it were secret.
  return pulumi.unsecret(listed);
}
