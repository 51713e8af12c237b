import type * as dynamic from "@pulumi/pulumi/dynamic";
import { CommvaultError } from "./client/errors";
import type { TokenListEntry } from "./client/schemas";
import { SETTINGS, type RawSettings, type SettingName } from "./config";
import { CreateUnsettledError, createWithRecovery } from "./create";
import { nowSeconds } from "./clock";
import { createRequest, declaredOf, dropUndefined, inputsAfterRead, refreshed, stateOf, updatedState } from "./mapping";
import { COMPUTED } from "./model/resolve-time";
import { timeNotes } from "./model/notes";
import { INPUTS, checkInputs, type AccessTokenInputs } from "./model/inputs";
import { ownerKeptMessage } from "./model/owner-rules";
import { planChange, type OwnerVerdict, type Plan } from "./model/plan";
import { resourceId, type AccessTokenState } from "./model/state";
import { assertMayCreateFor, me, ownerVerdict, resolveOwner } from "./owner";
import { revoke, rotate } from "./rotate";
import { callerName, client, lateCommitMs, lister, setConfig, warn } from "./runtime";

function context(e: unknown, what: string): Error {
  if (CommvaultError.isInstance(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  err.message = `${what}: ${err.message}`;
  return err;
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The listed token that state points at: by id, or by name while a create is unsettled. */
function locate(tokens: TokenListEntry[], props: AccessTokenState): TokenListEntry | undefined {
  if (props.tokenId !== undefined) return tokens.find((t) => t.accessTokenId === props.tokenId);
  return props.pendingRecreate ? tokens.find((t) => sameName(t.tokenName, props.name)) : undefined;
}

/**
 * A token that names no owner stays with the owner recorded at creation. When the provider now
 * logs in as someone else, say so at preview (once per run and token), without any change.
 */
async function warnIfCallerMoved(olds: AccessTokenState, news: AccessTokenInputs): Promise<void> {
  const caller = callerName();
  if (news.userId !== undefined || news.userName !== undefined || !caller || olds.userName === undefined) return;
  // The same text is the common case and needs no look-up; an AD login may differ only in form.
  if (sameName(caller, olds.userName)) return;
  const self = await me(client()).catch(() => undefined);
  if (self && self.userId !== olds.userId) warn(ownerKeptMessage(olds.name, `${olds.userName} (user id ${olds.userId})`, `${caller} (user id ${self.userId})`));
}

/**
 * The plan, with the clock. A lapsed refresh window is judged from state, which no refresh may
 * have updated for weeks while the consumer renewed: look at the live token before proposing to
 * replace one that may be in use (one list per owner per wave, and only in that case).
 */
async function planWithClock(olds: AccessTokenState, news: AccessTokenInputs, owner: OwnerVerdict, now: number): Promise<Plan> {
  const plan = planChange(olds, news, owner, now);
  if (plan.health?.kind !== "recreate" || olds.tokenId === undefined) return plan;
  const live = (await lister().tokens(olds.userId)).find((t) => t.accessTokenId === olds.tokenId);
  return live ? planChange(refreshed(olds, live), news, owner, now) : plan;
}

/** The token an unsettled create made under the name, looked for with bounded waiting. */
async function waitForPending(props: AccessTokenState): Promise<number | undefined> {
  const until = (props.pendingSince ?? Date.now()) + lateCommitMs();
  for (let pause = 500; ; pause = Math.min(pause * 2, 4_000)) {
    const found = locate(await lister().tokens(props.userId), props);
    if (found || Date.now() >= until) return found?.accessTokenId;
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, until - Date.now()))));
  }
}

/**
 * A token that names no owner belongs to the user recorded at its creation. A replacement creates
 * the new token for the logged-in user, so when that is someone else, refuse at preview rather
 * than move (or, with delete-first, lose) the token: the program must say whose it is.
 */
async function assertReplacementKeepsOwner(olds: AccessTokenState, news: AccessTokenInputs): Promise<void> {
  if (news.userId !== undefined || news.userName !== undefined) return;
  const self = await me(client());
  if (self.userId === olds.userId) return;
  throw new Error(
    `access token "${olds.name}" must be replaced, and it names no owner: it belongs to ${olds.userName ?? "user"} (user id ${olds.userId}), ` +
      `but the provider now logs in as ${self.userName} (user id ${self.userId}), for whom the new token would be made. ` +
      `Set userId: ${olds.userId} on the resource to keep its owner, or userId: ${self.userId} to move it on purpose.`,
  );
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
    const owner = await ownerVerdict(client, olds, news);
    if (owner === "same") await warnIfCallerMoved(olds, news);
    const plan = await planWithClock(olds, news, owner, nowSeconds());
    for (const note of timeNotes(olds, news, plan)) warn(note);
    if (plan.action === "replace" && owner === "same") await assertReplacementKeepsOwner(olds, news);
    if (plan.action === "none") return { changes: false };
    if (plan.action === "update") return { changes: true };
    return { changes: true, replaces: plan.replaces, deleteBeforeReplace: plan.deleteBeforeReplace };
  },

  async create(inputs: AccessTokenInputs): Promise<dynamic.CreateResult> {
    const c = client();
    const owner = await resolveOwner(c, inputs);
    await assertMayCreateFor(c, owner);
    // A token of the same name would make the create fail; say so plainly, and remember that the
    // name was free, so that a token found under it after a lost answer is certainly ours.
    const clash = (await lister().tokens(owner.userId)).find((t) => sameName(t.tokenName, inputs.name));
    if (clash) {
      throw new Error(
        `a Commvault access token named "${clash.tokenName}" already exists for user ${owner.userName ?? owner.userId} (token id ${clash.accessTokenId}); ` +
          `names are unique per user. Give this resource another name, or delete that token in Command Center first.`,
      );
    }
    let created;
    try {
      created = await createWithRecovery({ client: c, lister: lister(), lateCommitMs: lateCommitMs() }, createRequest(inputs, owner), owner.userId);
    } catch (e) {
      if (!(e instanceof CreateUnsettledError)) throw e;
      // Kept in state (a partial failure), so that the next `up` replaces it: nothing is orphaned.
      const pending = dropUndefined({ ...inputs, __inputs: declaredOf(inputs), userId: owner.userId, userName: owner.userName, tokenId: e.tokenId, pendingRecreate: e.message, pendingSince: e.lastPostAt });
      throw Object.assign(e, {
        id: resourceId(owner.userId, e.tokenId),
        properties: { ...pending, __provider: (inputs as unknown as Record<string, unknown>).__provider },
        reasons: [e.message],
      });
    }
    // createdAt is the server's: from the same per-owner list the wave shares. The token exists
    // now, so nothing may throw from here on, or state would lose it with its secret.
    const listed = await lister()
      .tokens(owner.userId)
      .then((all) => all.find((t) => t.accessTokenId === created.accessTokenId), () => undefined);
    return { id: resourceId(owner.userId, created.accessTokenId), outs: stateOf(inputs, owner, created, listed) };
  },

  async read(id: string, props: AccessTokenState): Promise<dynamic.ReadResult> {
    let tokens: TokenListEntry[];
    try {
      tokens = await lister().tokens(props.userId);
    } catch (e) {
      // Only Commvault's own answer that the owner is gone drops the resource; a proxy's 404 or a
      // server without the API fails the refresh instead.
      if (CommvaultError.isInstance(e) && e.gone === "user") return {};
      throw context(e, `reading access token ${id}`);
    }
    const found = locate(tokens, props);
    // An unsettled create whose token is not listed (yet: a slow server may still commit it)
    // stays pending, so that the next `up` settles it; only a confirmed absence leaves state.
    if (!found && props.pendingRecreate && props.tokenId === undefined) return { id, props };
    // Deleted by hand: leave state, and the next `up` creates it again.
    if (!found) return {};
    const next = refreshed({ ...props, tokenId: found.accessTokenId }, found);
    return { id, props: next, inputs: inputsAfterRead(next, [...INPUTS, ...COMPUTED]) };
  },

  async update(id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.UpdateResult> {
    const now = nowSeconds();
    const plan = await planWithClock(olds, news, "same", now);
    if (plan.action === "none") return { outs: updatedState(olds, news) };
    if (plan.action === "replace") throw new Error(`internal: update called for a change that needs a replacement (${plan.replaces.join(", ")})`);
    if (plan.refuse) throw new Error(`access token "${olds.name}" (${id}): ${plan.refuse}`);
    if (olds.tokenId === undefined) throw new Error(`internal: access token ${id} has no token id in state; run \`pulumi refresh\``);
    const deps = { client: client(), lister: lister(), lateCommitMs: lateCommitMs() };
    // A rotation makes a new token with every declared field: the old one only moves aside.
    if (plan.rotate) return { outs: await rotate(deps, olds, news, now) };
    let base = olds;
    if (plan.retire && olds.previous) {
      await revoke(deps.client, olds.previous.tokenId);
      base = { ...olds, previous: undefined };
    }
    // A change that Commvault does not store (the owner's name as the program spells it) needs no call.
    if (Object.keys(plan.patch).length === 0) return { outs: updatedState(base, news) };
    let answer;
    try {
      answer = await client().modifyToken(olds.tokenId, plan.patch);
    } catch (e) {
      if (CommvaultError.isInstance(e) && e.gone === "token") {
        throw new Error(`access token ${id} no longer exists in Commvault (deleted outside Pulumi); run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
      }
      throw e;
    }
    return { outs: updatedState(base, news, answer) };
  },

  async delete(id: string, props: AccessTokenState): Promise<void> {
    let tokenId = props.tokenId;
    if (tokenId === undefined) {
      // An unsettled create: whatever token holds the name is the one it made, and a slow server
      // may still commit it: look for it as long as a create waits for a late commit.
      tokenId = await waitForPending(props);
      if (tokenId === undefined) return;
    }
    try {
      await client().deleteToken(tokenId);
    } catch (e) {
      // Already gone counts as deleted.
      if (CommvaultError.isInstance(e) && e.gone === "token") return;
      throw context(e, `deleting access token ${id}`);
    }
  },
};
