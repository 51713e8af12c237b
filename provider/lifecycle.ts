import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { CommvaultClient, CommvaultUser, CreateTokenRequest } from "./client/client";
import { CommvaultError, CreateAnswerLostError } from "./client/errors";
import type { CreatedToken, TokenListEntry } from "./client/schemas";
import { checkInputs, type AccessTokenInputs } from "./model/inputs";
import { normaliseAllowList } from "./model/ip";
import { planChange } from "./model/plan";
import { TOKEN_TYPE, isFixedScope, scopeOf } from "./model/scope";
import { parseResourceId, resourceId, type AccessTokenState } from "./model/state";
import { formatEpoch, parseRfc3339 } from "./model/time";
import { callerName, client, setConfig } from "./runtime";
import { SETTINGS, type RawSettings, type SettingName } from "./config";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const epochText = (s: number | undefined) => (s === undefined || s === 0 ? undefined : formatEpoch(s));

interface Owner {
  userId: number;
  userName?: string;
  /** True when the inputs named the owner, so the create must say whom it is for. */
  explicit: boolean;
}

/** Users and the caller, fetched once per client (so once per run) rather than once per token. */
const directory = new WeakMap<CommvaultClient, { users?: Promise<CommvaultUser[]>; me?: Promise<{ userId: number; userName: string }> }>();

function memo<T>(c: CommvaultClient, key: "users" | "me", load: () => Promise<T>, fresh = false): Promise<T> {
  const entry = directory.get(c) ?? {};
  directory.set(c, entry);
  if (fresh || !entry[key]) {
    const p = load();
    (entry as Record<string, Promise<unknown>>)[key] = p;
    p.catch(() => delete entry[key]);
  }
  return entry[key] as Promise<T>;
}

async function resolveOwner(c: CommvaultClient, inputs: AccessTokenInputs): Promise<Owner> {
  if (inputs.userId === undefined && inputs.userName === undefined) {
    const me = await memo(c, "me", () => c.whoAmI());
    return { userId: me.userId, userName: me.userName, explicit: false };
  }
  const find = (users: CommvaultUser[]) =>
    inputs.userId !== undefined
      ? users.find((u) => u.userId === inputs.userId)
      : users.find((u) => u.userName.toLowerCase() === inputs.userName!.toLowerCase());
  // A miss may be a user added since the list was fetched: look once more before giving up.
  const found = find(await memo(c, "users", () => c.listUsers())) ?? find(await memo(c, "users", () => c.listUsers(), true));
  if (!found) {
    const what = inputs.userId !== undefined ? `userId ${inputs.userId}` : `userName "${inputs.userName}"`;
    throw new Error(`${what} is not a Commvault user the logged-in user can see; check the owner's id or name in Command Center (Manage > Security > Users)`);
  }
  return { userId: found.userId, userName: found.userName, explicit: true };
}

function createRequest(inputs: AccessTokenInputs, owner: Owner): CreateTokenRequest {
  const req: CreateTokenRequest = { tokenName: inputs.name, tokenType: TOKEN_TYPE[inputs.scope], allowedIPs: inputs.ipAllowlist };
  if (owner.explicit) req.userId = owner.userId;
  if (inputs.scope === "Custom") req.apiEndpoints = inputs.apiEndpoints;
  const renewable = parseRfc3339(inputs.renewableUntil ?? "");
  const expiry = parseRfc3339(inputs.expiresAt ?? "");
  if (!isFixedScope(inputs.scope) && renewable !== undefined) req.renewableUntilTimestamp = renewable;
  if (isFixedScope(inputs.scope) && expiry !== undefined) req.tokenExpiryTimestamp = expiry;
  return req;
}

function stateOf(inputs: AccessTokenInputs, owner: Owner, t: CreatedToken): AccessTokenState {
  const fixed = isFixedScope(inputs.scope);
  const state: AccessTokenState = {
    ...inputs,
    tokenId: t.accessTokenId,
    userId: owner.userId,
    userName: owner.userName,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    createdAt: formatEpoch(nowSeconds()),
    accessTokenExpiresAt: fixed ? undefined : epochText(t.tokenExpiryTimestamp),
    refreshTokenExpiresAt: epochText(t.refreshTokenExpiryTimestamp),
    renewableUntil: fixed ? undefined : epochText(t.renewableUntilTimestamp) ?? inputs.renewableUntil,
    expiresAt: fixed ? epochText(t.tokenExpiryTimestamp) ?? inputs.expiresAt : undefined,
  };
  return dropUndefined(state);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The server's view of a listed token, laid over the state; secrets and inputs-only fields stay. */
function refreshed(state: AccessTokenState, t: TokenListEntry): AccessTokenState {
  const scope = scopeOf(t.tokenType);
  const fixed = isFixedScope(scope);
  const next: AccessTokenState = {
    ...state,
    name: t.tokenName,
    scope,
    apiEndpoints: scope === "Custom" ? [...new Set(t.apiEndpoints ?? [])].sort() : undefined,
    // A list that the server does not report is unknown, not empty: keep what state says.
    ipAllowlist: t.allowedIPs === undefined ? state.ipAllowlist : normaliseAllowList(t.allowedIPs).entries,
    renewableUntil: fixed ? undefined : epochText(t.renewableUntilTimestamp) ?? state.renewableUntil,
    expiresAt: fixed ? epochText(t.tokenExpiryTimestamp) ?? state.expiresAt : undefined,
    accessTokenExpiresAt: fixed ? undefined : epochText(t.tokenExpiryTimestamp) ?? state.accessTokenExpiresAt,
    createdAt: epochText(t.createdTime) ?? state.createdAt,
  };
  return dropUndefined(next);
}

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
    const keep = { tokenId: olds.tokenId, userId: olds.userId, userName: olds.userName, accessToken: olds.accessToken, refreshToken: olds.refreshToken, createdAt: olds.createdAt, accessTokenExpiresAt: olds.accessTokenExpiresAt, refreshTokenExpiresAt: olds.refreshTokenExpiresAt };
    const next: AccessTokenState = dropUndefined({ ...keep, ...news, userId: olds.userId, renewableUntil: news.renewableUntil ?? olds.renewableUntil, expiresAt: news.expiresAt ?? olds.expiresAt });
    if (plan.action === "none") return { outs: next };
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
    const fixed = isFixedScope(news.scope);
    return {
      outs: dropUndefined({
        ...next,
        renewableUntil: fixed ? undefined : epochText(answer.renewableUntilTimestamp) ?? next.renewableUntil,
        expiresAt: fixed ? epochText(answer.tokenExpiryTimestamp) ?? next.expiresAt : undefined,
      }),
    };
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
