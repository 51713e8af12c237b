import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { CommvaultClient, CreateTokenRequest } from "./client/client";
import { CommvaultError, CreateAnswerLostError } from "./client/errors";
import type { CreatedToken, TokenListEntry } from "./client/schemas";
import { SETTINGS, type RawSettings, type SettingName } from "./config";
import { createRequest, nowSeconds, refreshed, stateOf, updatedState } from "./mapping";
import { checkInputs, type AccessTokenInputs } from "./model/inputs";
import { planChange } from "./model/plan";
import { parseResourceId, resourceId, type AccessTokenState } from "./model/state";
import { resolveOwner } from "./owner";
import { callerName, client, setConfig } from "./runtime";

function context(e: unknown, what: string): Error {
  if (CommvaultError.isInstance(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  err.message = `${what}: ${err.message}`;
  return err;
}

/** How many times a create whose answer was lost is revoked and made again. */
const LOST_ANSWER_RETRIES = 3;

/**
 * Creates the token. When the answer (which alone carries the secret) is lost after the token was
 * made, the token is ours, since create checked that the name was free: revoke it and create it
 * again. If answers keep being lost, revoke the last one too, so that no token outlives a failed
 * create without being in state.
 */
async function createRecovering(c: CommvaultClient, req: CreateTokenRequest): Promise<CreatedToken> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await c.createToken(req);
    } catch (e) {
      if (!(e instanceof CreateAnswerLostError)) throw e;
      await c.deleteToken(e.accessTokenId);
      if (attempt > LOST_ANSWER_RETRIES) {
        throw new Error(
          `creating access token "${req.tokenName}": the server's answer was lost ${attempt} times in a row (${attempt} attempts); ` +
            `each token made was revoked, so no token was left behind. The network to Commvault is dropping answers; run the command again once it is stable.`,
        );
      }
    }
  }
}

export const provider: dynamic.ResourceProvider = {
  async configure(req: dynamic.ConfigureRequest): Promise<void> {
    const values: RawSettings = {};
    for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
      const v = req.config.get(s.key);
      if (v !== undefined) values[name] = v;
    }
    setConfig(values);
  },

  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    // olds are empty on a create; only an existing resource's inputs make a scope change.
    const previous = olds && Object.keys(olds).length > 0 ? olds : undefined;
    const { inputs, failures } = checkInputs(previous, news, nowSeconds());
    return { inputs, failures };
  },

  async diff(_id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.DiffResult> {
    const plan = planChange(olds, news, callerName());
    if (plan.action === "none") return { changes: false };
    if (plan.action === "update") return { changes: true };
    return { changes: true, replaces: plan.replaces, deleteBeforeReplace: plan.deleteBeforeReplace };
  },

  async create(inputs: AccessTokenInputs): Promise<dynamic.CreateResult> {
    const c = client();
    const owner = await resolveOwner(c, inputs);
    // A token of the same name would make the create fail; say so plainly, and remember that the
    // name was free, so that a token found under it after a lost answer is certainly ours.
    const clash = (await c.listTokens(owner.explicit ? owner.userId : undefined)).find((t) => t.tokenName.toLowerCase() === inputs.name.toLowerCase());
    if (clash) {
      throw new Error(
        `a Commvault access token named "${clash.tokenName}" already exists for user ${owner.userName ?? owner.userId} (token id ${clash.accessTokenId}); ` +
          `names are unique per user. Give this resource another name, or delete that token in Command Center first.`,
      );
    }
    const created = await createRecovering(c, createRequest(inputs, owner));
    return { id: resourceId(created.userId, created.accessTokenId), outs: stateOf(inputs, owner, created) };
  },

  async read(id: string, props: AccessTokenState): Promise<dynamic.ReadResult> {
    const { userId, tokenId } = parseResourceId(id);
    let tokens: TokenListEntry[];
    try {
      tokens = await client().listTokens(userId);
    } catch (e) {
      // The owner is gone, and every token with them.
      if (CommvaultError.isInstance(e) && e.kind === "not-found") return {};
      throw context(e, `reading access token ${id}`);
    }
    const found = tokens.find((t) => t.accessTokenId === tokenId);
    // Deleted by hand: leave state, and the next `up` creates it again.
    if (!found) return {};
    return { id, props: refreshed(props, found) };
  },

  async update(id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.UpdateResult> {
    const plan = planChange(olds, news, callerName());
    if (plan.action === "none") return { outs: updatedState(olds, news) };
    if (plan.action === "replace") throw new Error(`internal: update called for a change that needs a replacement (${plan.replaces.join(", ")})`);
    let answer;
    try {
      answer = await client().modifyToken(olds.tokenId, plan.patch);
    } catch (e) {
      if (CommvaultError.isInstance(e) && e.kind === "not-found") {
        throw new Error(`access token ${id} no longer exists in Commvault (deleted outside Pulumi); run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
      }
      throw e;
    }
    return { outs: updatedState(olds, news, answer) };
  },

  async delete(id: string, props: AccessTokenState): Promise<void> {
    const tokenId = props.tokenId ?? parseResourceId(id).tokenId;
    try {
      await client().deleteToken(tokenId);
    } catch (e) {
      // Already gone counts as deleted.
      if (CommvaultError.isInstance(e) && e.kind === "not-found") return;
      throw e;
    }
  },
};
