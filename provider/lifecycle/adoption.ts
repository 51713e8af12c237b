import type { TokenListEntry } from "../client/schemas";
import { declaredOf, dropUndefined, refreshed, updatedState } from "./mapping";
import type { CheckFailure } from "../model/inputs";
import type { AccessTokenInputs } from "../model/inputs";
import { planChange } from "../model/plan";
import { isFixedScope, scopeOf, type Scope } from "../model/scope";
import type { AccessTokenState } from "../model/state";
import { resolveOwner, type Owner } from "../connection/owner";
import { rotate } from "./rotate";
import { client, lateCommitMs, lister, resourceLabel, resourceUrn } from "../connection/runtime";
import { sameName } from "../model/names";
import { passedOnServerReason } from "../model/health";
import { nowSeconds } from "../connection/clock";
import { adopted } from "./keepers";

/**
 * Taking over a token made by hand (issue 9): no POST, no DELETE, at most one PUT to bring the
 * declared fields to what the program says. Its secret is not known (Commvault shows it only to
 * its create): state says so with `secretKnown: false` and holds none, unless `thenRotate` issues
 * a new token at once (the adopted one kept aside for the overlap, then retired).
 */

const LABEL: Record<Scope, string> = { All: "All", Custom: "Custom", Hyperscale: "Hyperscale", MicrosoftSCIM: "Microsoft SCIM", OneTouchRecovery: "1-Touch recovery" };

interface Found {
  owner: Owner;
  token?: TokenListEntry;
  /** Why there is nothing to adopt, or why it cannot be kept; a whole sentence. */
  problem?: { property: string; reason: string };
}

/** The token `adopt` names, for the owner the inputs name (or the logged-in user). */
async function find(inputs: AccessTokenInputs): Promise<Found> {
  const adopt = inputs.adopt!;
  const c = client(inputs.server);
  const owner = await resolveOwner(c, inputs);
  const who = `user ${owner.userName ?? owner.userId} (id ${owner.userId})`;
  const tokens = await lister(inputs.server).tokens(owner.userId);
  const token = adopt.tokenId !== undefined ? tokens.find((t) => t.accessTokenId === adopt.tokenId) : tokens.find((t) => sameName(t.tokenName, inputs.name));
  if (!token && adopt.tokenId !== undefined) {
    // Whose is it, then? Only looked at on this failure.
    for (const u of (await c.listUsers().catch(() => [])).filter((u) => u.userId !== owner.userId)) {
      const other = (await lister(inputs.server).tokens(u.userId).catch(() => [])).find((t) => t.accessTokenId === adopt.tokenId);
      if (other) {
        return { owner, problem: { property: "adopt.tokenId", reason: `adopt.tokenId: access token ${adopt.tokenId} ("${other.tokenName}") belongs to user ${u.userName} (id ${u.userId}), not to ${who}; set userId: ${u.userId} to adopt it as that user's token` } };
      }
    }
    return { owner, problem: { property: "adopt.tokenId", reason: `adopt.tokenId: ${who} has no access token with id ${adopt.tokenId}, and no other user the login can see has one; check the id in Command Center or with \`npx pulumi-commvault-tokens discover\`` } };
  }
  if (!token) return { owner, problem: { property: "adopt.byName", reason: `adopt.byName: ${who} has no access token named "${inputs.name}"; check name, or adopt by adopt.tokenId` } };
  const scope = scopeOf(token.tokenType);
  if (isFixedScope(scope) !== isFixedScope(inputs.scope) || (isFixedScope(scope) && scope !== inputs.scope)) {
    return {
      owner,
      token,
      problem: {
        property: "scope",
        reason: `adopt: access token ${token.accessTokenId} ("${token.tokenName}") is a ${LABEL[scope]} token and the program declares scope "${inputs.scope}"; Commvault never changes the scope of a Microsoft SCIM or 1-Touch token, nor changes any token into one, so it cannot be kept as declared: declare scope "${scope}"`,
      },
    };
  }
  // The PUT that brings the token to the program must not carry a date the server counts as
  // passed: its clock is known from the list just read.
  const current = isFixedScope(scope) ? token.tokenExpiryTimestamp : token.renewableUntilTimestamp;
  const passed = passedOnServerReason(inputs, current, nowSeconds(), c.serverClock());
  if (passed) return { owner, token, problem: { property: isFixedScope(scope) ? "expiresAt" : "renewableUntil", reason: `adopt: access token ${token.accessTokenId} ("${token.tokenName}"): ${passed}` } };
  return { owner, token };
}

/**
 * Claims on tokens in this run, by server and id: who adopts them (each adopting resource's check
 * claims once; the plugin names the resource by URN, the dynamic provider is never told its URN
 * (the Node.js SDK tells it the logical name, for messages only, which is not unique across
 * parents), so each check counts as another resource). Two resources holding one
 * token would rename it under each other, and removing one would revoke it under the other.
 */
const claimed = new Map<string, { urn?: string; label: string }[]>();
/** Tokens adopted by a create of this run: a second create adopting one is refused. */
const adoptedNow = new Map<string, string>();

/** A new run (configure): claims are per run. */
export function forgetClaims(): void {
  claimed.clear();
  adoptedNow.clear();
}

const keyOf = (inputs: AccessTokenInputs, token: TokenListEntry) => `${inputs.server ?? ""}|${token.accessTokenId}`;
const twice = (token: TokenListEntry, self: string, other: string) => ({
  property: "adopt",
  reason:
    `adopt: access token ${token.accessTokenId} ("${token.tokenName}") is already managed by ${other}, and ${self} adopts it too; ` +
    "a token can be managed by one resource only (two would rename it under each other, and removing one would revoke it under the other): remove adopt from one of them, or give it another token",
});

/** Whether another resource of this stack holds, made or adopts the token: the refusal, naming both. */
function another(inputs: AccessTokenInputs, token: TokenListEntry, stage: "check" | "create"): { property: string; reason: string } | undefined {
  const self = resourceLabel(inputs.name);
  const l = lister(inputs.server);
  if (l.made.has(token.accessTokenId)) return twice(token, self, "another resource of this stack, which created it in this run");
  const holder = l.held.get(token.accessTokenId);
  if (holder !== undefined) return twice(token, self, `${holder}, which holds it in this stack's state`);
  const key = keyOf(inputs, token);
  const urn = resourceUrn();
  const claims = claimed.get(key) ?? [];
  if (stage === "check") {
    const other = claims.find((c) => urn === undefined || c.urn !== urn);
    if (other) return twice(token, self, `${other.label}, which adopts it in this run`);
    claimed.set(key, [...claims, { urn, label: self }]);
    return undefined;
  }
  const done = adoptedNow.get(key);
  if (done !== undefined) return twice(token, self, `${done}, which adopted it in this run`);
  const others = claims.filter((c) => urn === undefined || c.urn !== urn);
  // Through the dynamic provider, the resource's own check is one of the claims.
  if (others.length > (urn === undefined ? 1 : 0)) return twice(token, self, `${others.at(-1)!.label}, which adopts it in this run`);
  adoptedNow.set(key, self);
  return undefined;
}

/** The refusals at preview, before any write: one read of the owner's tokens (shared by the wave). */
export async function adoptionFailures(inputs: AccessTokenInputs): Promise<CheckFailure[]> {
  const found = await find(inputs);
  if (found.problem) return [found.problem];
  const refused = another(inputs, found.token!, "check");
  return refused ? [refused] : [];
}

/** How long an adopting create waits for a resource of the run that holds its token to register. */
const HOLDER_GRACE_MS = 2_000;

/** The adoption itself, in create: the token as it is, brought to the program with at most one PUT. */
export async function adopt(inputs: AccessTokenInputs, now: number): Promise<{ id: string; outs: AccessTokenState }> {
  const found = await find(inputs);
  if (found.problem) throw new Error(found.problem.reason);
  const { owner, token } = found as Required<Pick<Found, "owner" | "token">>;
  // The engine may check this resource before a resource that holds the token registers (its
  // diff names it): creates run beside the registrations, so wait a moment for one to say so.
  const l = lister(inputs.server);
  if (!l.held.has(token.accessTokenId) && !l.made.has(token.accessTokenId)) await l.freed(token.accessTokenId, 0, HOLDER_GRACE_MS);
  const refused = another(inputs, token, "create");
  if (refused) throw new Error(refused.reason);
  const base: AccessTokenState = dropUndefined({
    ...inputs,
    __inputs: declaredOf(inputs),
    tokenId: token.accessTokenId,
    userId: owner.userId,
    userName: owner.userName,
    secretKnown: false,
  });
  const as = refreshed(base, token);
  const plan = planChange(as, inputs, "same");
  let outs = as;
  if (plan.action === "update" && Object.keys(plan.patch).length > 0) {
    outs = updatedState(as, inputs, await client(inputs.server).modifyToken(token.accessTokenId, plan.patch));
  } else {
    outs = updatedState(as, inputs);
  }
  outs = { ...outs, createdAt: as.createdAt };
  const id = `${owner.userId}:${token.accessTokenId}`;
  // Only once the create succeeds does this resource hold the token (a rotation keeps it aside,
  // then retires it): a failed one hands nothing over, and the former holder's delete revokes it.
  if (!inputs.adopt?.thenRotate) {
    adopted(inputs.server, token.accessTokenId, inputs.name);
    return { id, outs };
  }
  const rotated = await rotate({ client: client(inputs.server), lister: lister(inputs.server), lateCommitMs: lateCommitMs(inputs.server) }, outs, inputs, now);
  adopted(inputs.server, token.accessTokenId, inputs.name);
  return { id, outs: rotated };
}
