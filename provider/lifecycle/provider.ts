import { isDeepStrictEqual } from "node:util";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { CommvaultError } from "../client/errors";
import type { TokenListEntry } from "../client/schemas";
import { SERVERS_KEY, SETTINGS, parseServers, settleIds, type RawSettings, type SettingName } from "../connection/config";
import { adopt, adoptionFailures, forgetClaims } from "./adoption";
import { declaredHolds, declaredState, forgetKeepers, isReplacement, keeperOf, replacingThis } from "./keepers";
import { CreateUnsettledError, assertNameFree, createBoundS, createWithRecovery, nameTakenSince } from "./create";
import { nowSeconds } from "../connection/clock";
import { createRequest, declaredOf, dropUndefined, inputsAfterRead, refreshed, stateOf, updatedState } from "./mapping";
import { COMPUTED } from "../model/resolve-time";
import { timeNotes } from "../model/notes";
import { INPUTS, checkInputs, type AccessTokenInputs } from "../model/inputs";
import { isUnknown } from "../model/unknown";
import { resourceId, type AccessTokenState } from "../model/state";
import { assertMayCreateFor, ownerVerdict, resolveOwner } from "../connection/owner";
import { revoke, rotate, sealOrRevoke } from "./rotate";
import { RESOURCE_NAME_KEY, asResource, awaitingSettle, client, forgetRun, hasServer, info, lateCommitMs, lister, resourceLabel, resourceUrn, runStart, serverMissing, serverOffset, serverUrl, setConfig, takeResourceName, timeoutMs, warn } from "../connection/runtime";
import { parseDays, rollingField } from "../model/lifetime";
import { sameName } from "../model/names";
import { formatEpoch, parseRfc3339 } from "../model/time";
import type { ModifyPatch } from "../model/plan";
import { assertReplacementKeepsOwner, assertSameToken, locate, planWithClock, waitForPending, warnIfCallerMoved } from "./steps";

function context(e: unknown, what: string): Error {
  if (CommvaultError.isInstance(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  err.message = `${what}: ${err.message}`;
  return err;
}

/**
 * This resource, which the program declares (diff, update), holds its tokens (see TokenLister.held,
 * and keepers.ts: no delete of this run revokes them under it); a server profile that is gone has
 * no lister, and needs none.
 */
function holds(state: AccessTokenState): void {
  declaredHolds(state);
  if (state.server !== undefined && !hasServer(state.server)) return;
  const label = resourceLabel(state.name);
  try {
    lister(state.server).hold(state.tokenId, label);
    lister(state.server).hold(state.previous?.tokenId, label);
  } catch {
    // Settings that no longer resolve: the method itself says so where it matters.
  }
}

/** The host's configuration objects seen: one per run of the dynamic provider host (see configure). */
const configuredRuns = new WeakSet<object>();

/** The provider's methods, on inputs without the SDK's hidden resource name (see `provider` below). */
const core = {
  async configure(req: dynamic.ConfigureRequest): Promise<void> {
    const values: RawSettings = {};
    for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
      const v = req.config.get(s.key);
      if (v !== undefined) values[name] = v;
    }
    setConfig(values, parseServers(req.config.get(SERVERS_KEY)));
    // The dynamic provider host configures once per distinct `__provider` text, with the one
    // configuration of its run: state written before issue 22 holds a longer text than the
    // program now sends, so a run meets both (reads and deletes load the old outputs' text). The
    // second is the same run, whose claims and lists must stay.
    const raw = (req.config as { rawConfig?: object }).rawConfig;
    if (raw !== undefined && configuredRuns.has(raw)) return;
    if (raw !== undefined) configuredRuns.add(raw);
    forgetClaims();
    forgetKeepers();
    forgetRun();
    // Read only by the creates and rotations of `up`, which refuse a malformed value: said at
    // preview too (configure runs in every command), so that a pipeline learns it before its up.
    try {
      settleIds(process.env);
    } catch (e) {
      warn((e as Error).message);
    }
  },

  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    // olds are empty on a create; only an existing resource's inputs make a scope change.
    const previous = olds && Object.keys(olds).length > 0 ? olds : undefined;
    const { inputs, failures } = checkInputs(previous, news, nowSeconds());
    // The engine's second check of a resource its diff replaces looks like a new resource's (no
    // olds): its adopt acted at its first up, so the replacement makes a new token.
    if (previous === undefined && inputs.adopt !== undefined && isReplacement()) delete inputs.adopt;
    if (failures.length) return { inputs, failures };
    const checked = inputs as unknown as AccessTokenInputs;
    if (typeof checked.server === "string" && !hasServer(checked.server)) return { inputs, failures: [{ property: "server", reason: `server ${serverMissing(checked.server)}` }] };
    // An adoption is refused here, before any write, when there is nothing to adopt or it cannot
    // be kept as declared (check drops adopt once the resource exists, so this is the first up).
    if (checked.adopt !== undefined && typeof checked.adopt === "object" && !Object.values(inputs).some(isUnknown)) {
      return { inputs, failures: await adoptionFailures(checked) };
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.DiffResult> {
    // Settings that now name another CommServe under the same profile: refuse at preview unless
    // the token there is this one (the URL was an alias).
    if ((news.server ?? null) === (olds.server ?? null) && typeof news.server !== "object") await assertSameToken(olds, news.server, "planning");
    const owner = await ownerVerdict(() => client(olds.server), olds, news);
    if (owner === "same") await warnIfCallerMoved(olds, news);
    const plan = await planWithClock(olds, news, owner, nowSeconds());
    for (const note of timeNotes(olds, news, plan)) warn(note);
    if (plan.action === "replace" && owner === "same") await assertReplacementKeepsOwner(olds, news);
    // This resource holds its tokens: no create of this run takes them for a run's leftover.
    holds(olds);
    if (plan.action === "none") return { changes: false };
    if (plan.action === "update") {
      // A create of this run that wants the old name may wait for this rename's PUT.
      if (!plan.refuse && !plan.rotate && olds.tokenId !== undefined && typeof news.name === "string" && !sameName(olds.name, news.name)) lister(olds.server).expectFree(olds.tokenId);
      return { changes: true };
    }
    replacingThis();
    return { changes: true, replaces: plan.replaces, deleteBeforeReplace: plan.deleteBeforeReplace };
  },

  async create(inputs: AccessTokenInputs): Promise<dynamic.CreateResult> {
    if (inputs.adopt) {
      const adopted = await adopt(inputs, nowSeconds());
      return { id: adopted.id, outs: { ...adopted.outs, serverUrl: serverUrl(inputs.server) } };
    }
    const c = client(inputs.server);
    const owner = await resolveOwner(c, inputs);
    await assertMayCreateFor(c, owner);
    const tokens = lister(inputs.server);
    // Its look-up after the POST shares one list with the other creates of this owner under way.
    const ticket = tokens.creating(owner.userId);
    let created;
    try {
      const req = createRequest(inputs, owner);
      const rolling = inputs[rollingField(inputs.scope)];
      const now = nowSeconds();
      const left = {
        declared: { req, scope: inputs.scope, rollingDays: rolling === undefined ? undefined : parseDays(rolling), now, runStart: runStart() },
        boundS: createBoundS(timeoutMs(inputs.server)),
        serverOffset: () => serverOffset(inputs.server, nowSeconds()),
        revoke: (id: number) => revoke(c, id),
        // Read at call time, like the other settings.
        confirmed: settleIds(process.env),
        awaiting: awaitingSettle,
        say: warn,
        urn: resourceUrn(),
      };
      const before = await assertNameFree(tokens, owner, inputs.name, lateCommitMs(inputs.server), left);
      created = await createWithRecovery({ client: c, lister: tokens, before, note: info, lateCommitMs: lateCommitMs(inputs.server) }, req, owner.userId).catch((e: unknown) =>
        nameTakenSince(e, tokens, owner, inputs.name),
      );
      tokens.made.add(created.accessTokenId);
    } catch (e) {
      ticket.end();
      if (!(e instanceof CreateUnsettledError)) throw e;
      // Kept in state (a partial failure), so that the next `up` replaces it: nothing is orphaned.
      const pending = dropUndefined({ ...inputs, __inputs: declaredOf(inputs), userId: owner.userId, userName: owner.userName, tokenId: e.tokenId, pendingRecreate: e.message, pendingSince: e.lastPostAt });
      throw Object.assign(e, {
        id: resourceId(owner.userId, e.tokenId),
        properties: { ...pending, __provider: (inputs as unknown as Record<string, unknown>).__provider },
        reasons: [e.message],
      });
    }
    // createdAt is the server's: from a list sent after the POST answered. The token exists now,
    // so nothing may throw from here on, or state would lose it with its secret.
    const token = created;
    const listed = await ticket.lookup().then((all) => all.find((t) => t.accessTokenId === token.accessTokenId), () => undefined);
    const outs = await sealOrRevoke(c, stateOf(inputs, owner, created, listed));
    return { id: resourceId(owner.userId, created.accessTokenId), outs: { ...outs, serverUrl: serverUrl(inputs.server) } };
  },

  async read(id: string, props: AccessTokenState): Promise<dynamic.ReadResult> {
    let tokens: TokenListEntry[];
    try {
      await assertSameToken(props, props.server, "refreshing");
      // The owner's list of the last moment serves every read of a refresh (see TokenLister).
      tokens = await lister(props.server).recent(props.userId);
    } catch (e) {
      // Only Commvault's own answer that the owner is gone drops the resource; a proxy's 404 or a
      // server without the API fails the refresh instead.
      if (CommvaultError.isInstance(e) && e.gone === "user") return {};
      throw context(e, `reading access token ${id}`);
    }
    const found = locate(tokens, props);
    lister(props.server).hold(found?.accessTokenId, resourceLabel(props.name));
    // An unsettled create whose token is not listed (yet: a slow server may still commit it)
    // stays pending, so that the next `up` settles it; only a confirmed absence leaves state.
    if (!found && props.pendingRecreate && props.tokenId === undefined) return { id, props };
    // Deleted by hand: leave state, and the next `up` creates it again.
    if (!found) return {};
    const next = refreshed({ ...props, tokenId: found.accessTokenId }, found);
    // The engine takes any difference a read returns, in outputs or inputs, for a change of the
    // resource and serializes the whole snapshot again for it, so a refresh that gave every token
    // new inputs cost N² (docs/benchmarks.md: 141 s of CPU for 2,000 unchanged tokens, against
    // 20 s for a no-op resource). Unchanged, the state goes back as it was; and the inputs go back
    // only when a field a person can change differs, since without them the engine keeps the
    // program's own (all a diff needs when nothing was changed by hand).
    // A token an update left as it was (`__unsynced`) always gives them: the engine's stored
    // inputs are then the program's, not what the outputs say.
    const before = dropUndefined(props);
    const unsynced = props.__unsynced === true;
    if (!unsynced && isDeepStrictEqual(next, before)) return { id, props };
    const inputs = inputsAfterRead(next, [...INPUTS, ...COMPUTED]);
    if (!unsynced && isDeepStrictEqual(inputs, inputsAfterRead(before, [...INPUTS, ...COMPUTED]))) return { id, props: next };
    return { id, props: next, inputs };
  },

  async update(id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.UpdateResult> {
    const now = nowSeconds();
    holds(olds);
    const plan = await planWithClock(olds, news, "same", now);
    if (plan.action === "none") return { outs: updatedState(olds, news) };
    if (plan.action === "replace") throw new Error(`internal: update called for a change that needs a replacement (${plan.replaces.join(", ")})`);
    // A passed date that the program still declares: only the program can fix it. Failing here
    // would stop the engine from finishing the rest of the stack (replacements already half done),
    // so the token is left as it is (dead), said so, and still shows as drift until fixed.
    if (plan.refuse) {
      warn(`access token "${olds.name}" (${id}) was left as it is: ${plan.refuse}`);
      return { outs: { ...olds, __unsynced: true } };
    }
    if (olds.tokenId === undefined) throw new Error(`internal: access token ${id} has no token id in state; run \`pulumi refresh\``);
    // A renamed profile for the same CommServe is the new name's; another CommServe was a replacement.
    await assertSameToken(olds, news.server, "updating");
    // A rotation cut short is settled as an interrupted create is: by evidence and a confirmed id.
    const settle = { confirmed: settleIds(process.env), awaiting: awaitingSettle, say: warn, runStart: runStart(), urn: resourceUrn(), serverOffset: () => serverOffset(news.server, nowSeconds()), boundS: createBoundS(timeoutMs(news.server)) };
    const deps = { client: client(news.server), lister: lister(news.server), lateCommitMs: lateCommitMs(news.server), note: info, settle };
    // A rotation makes a new token with every declared field: the old one only moves aside.
    if (plan.rotate) return { outs: { ...(await rotate(deps, olds, news, now)), serverUrl: serverUrl(news.server) } };
    let base = olds;
    if (plan.retire && olds.previous) {
      await revoke(deps.client, olds.previous.tokenId);
      base = { ...olds, previous: undefined };
    }
    // A change that Commvault does not store (the owner's name as the program spells it) needs no call.
    if (Object.keys(plan.patch).length === 0) return { outs: { ...updatedState(base, news), serverUrl: serverUrl(news.server) } };
    let answer;
    try {
      answer = await deps.client.modifyToken(olds.tokenId, plan.patch);
    } catch (e) {
      if (CommvaultError.isInstance(e) && e.gone === "token") {
        throw new Error(`access token ${id} no longer exists in Commvault (deleted outside Pulumi); run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
      }
      const passed = passedOnServer(e, plan.patch, news, now);
      if (passed === undefined) throw e;
      // The date passed by the server's clock, not yet by ours: the same case as a passed date
      // (item 6), found only now. When the date was all the PUT carried, nothing changed: leave the
      // token as it is, as for a date passed by our clock; otherwise fail, saying what to do.
      const only = Object.keys(plan.patch).every((k) => k === "renewableUntilTimestamp" || k === "tokenExpiryTimestamp");
      const what =
        `the CommServe refused the declared ${passed.field} ${passed.declared} as not in the future: it has passed by the server's clock, which is ahead of this machine's (${formatEpoch(now)}); ` +
        `a passed date cannot be sent. Set a later ${passed.field}, or use a rolling lifetime (${passed.field === "expiresAt" ? "expiresIn" : "renewableFor"}) to have it extended in place, and check the CommServe's time`;
      if (only) {
        warn(`access token "${olds.name}" (${id}) was left as it is: ${what}`);
        return { outs: { ...olds, __unsynced: true } };
      }
      throw new Error(`access token "${olds.name}" (${id}) was not changed: ${what}`);
    }
    return { outs: { ...updatedState(base, news, answer), serverUrl: serverUrl(news.server) } };
  },

  async delete(id: string, props: AccessTokenState): Promise<void> {
    let tokenId = props.tokenId;
    if (tokenId === undefined) {
      // An unsettled create: whatever token holds the name is the one it made, and a slow server
      // may still commit it: look for it as long as a create waits for a late commit.
      tokenId = await waitForPending(props);
    }
    await assertSameToken(props, props.server, "deleting");
    // The token a rotation kept aside goes with the resource (a destroy, a replacement): nothing
    // that the resource made outlives it. Already gone counts as deleted.
    for (const t of [tokenId, props.previous?.tokenId]) {
      if (t === undefined) continue;
      // A hand-over: a resource of this run adopted it (its create ran before this delete), so
      // it is that resource's now. A destroy or a later run has no such adoption: revoked.
      const keeper = keeperOf(props, t);
      if (keeper?.how === "adopted") {
        warn(`access token ${t} of ${resourceLabel(props.name)} was handed over to ${keeper.label} in this run; not revoked: that resource manages it now`);
        continue;
      }
      if (keeper?.how === "holds") {
        warn(`access token ${t} of ${resourceLabel(props.name)} is also held by ${keeper.label}, which the program declares; not revoked: that resource manages it (a hand-over cut short before this delete)`);
        continue;
      }
      try {
        await revoke(client(props.server), t);
      } catch (e) {
        throw context(e, `deleting access token ${t} of ${id}`);
      }
    }
  },
} satisfies dynamic.ResourceProvider;

/**
 * The provider the engine (or the plugin's door) calls. The Node.js SDK passes the resource's
 * logical name as a hidden input (RESOURCE_NAME_KEY), because the engine tells a dynamic provider
 * no URN: check keeps it in the inputs so that diff, create and update get it too, and each method
 * takes it off before the core sees the inputs, so that it is in no output, no plan and no diff,
 * and serves only to name the resource in messages. Read and delete get outputs, which never
 * hold it.
 */
export const provider: dynamic.ResourceProvider = {
  configure: core.configure,
  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const { rest, name } = takeResourceName(news);
    const r = await asResource(name, () => core.check(takeResourceName(olds).rest, rest));
    return name === undefined ? r : { ...r, inputs: { ...r.inputs, [RESOURCE_NAME_KEY]: name } };
  },
  diff(id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.DiffResult> {
    const { rest, name } = takeResourceName(news);
    return asResource(name, () => core.diff(id, takeResourceName(olds).rest, rest));
  },
  async create(inputs: AccessTokenInputs): Promise<dynamic.CreateResult> {
    const { rest, name } = takeResourceName(inputs);
    const r = await asResource(name, () => core.create(rest));
    // A state of a declared resource: its own delete (none in a real run) revokes its token.
    declaredState(r.outs);
    return r;
  },
  read: core.read,
  async update(id: string, olds: AccessTokenState, news: AccessTokenInputs): Promise<dynamic.UpdateResult> {
    const { rest, name } = takeResourceName(news);
    const r = await asResource(name, () => core.update(id, takeResourceName(olds).rest, rest));
    declaredState(r.outs);
    return r;
  },
  delete: core.delete,
};

/**
 * When the server refused a PUT's date as not in the future and that date is the program's
 * declared one (not a date the provider picked): which field, and the declared value.
 */
function passedOnServer(e: unknown, patch: ModifyPatch, news: AccessTokenInputs, now: number): { field: "renewableUntil" | "expiresAt"; declared: string } | undefined {
  if (!(CommvaultError.isInstance(e) && e.kind === "validation" && /must be in the future/i.test(e.errorMessage ?? e.message))) return undefined;
  for (const [field, key] of [["renewableUntil", "renewableUntilTimestamp"], ["expiresAt", "tokenExpiryTimestamp"]] as const) {
    const declared = news[field];
    const sent = patch[key];
    if (typeof declared === "string" && sent !== undefined && parseRfc3339(declared) === sent && sent > now) return { field, declared };
  }
  return undefined;
}
