import { judge, latest, type Health } from "./health";
import type { AccessTokenInputs } from "./inputs";
import { TOKEN_TYPE, isFixedScope, scopeChangeAllowed } from "./scope";
import type { AccessTokenState } from "./state";
import { parseRfc3339 } from "./time";
import { isUnknown } from "./unknown";
import { sameName } from "./names";

/** The body of one PUT /V4/AccessToken/<id>: only what changed. */
export interface ModifyPatch {
  tokenName?: string;
  tokenType?: number;
  renewableUntilTimestamp?: number;
  tokenExpiryTimestamp?: number;
  apiEndpoints?: string[];
  allowedIPs?: string[];
}

/** Work that the clock makes due, beside the fields that changed. */
export interface TimeWork {
  /** A new secret: a new token under the name, the current one kept aside for the overlap. */
  rotate?: boolean;
  /** Revoke the token kept aside by the last rotation: its overlap has ended. */
  retire?: boolean;
  /** The update must fail with this, before any call: only the program can fix it. */
  refuse?: string;
}

export type Plan =
  | { action: "none"; health?: Health }
  | ({ action: "update"; patch: ModifyPatch; changed: (keyof AccessTokenInputs)[]; health?: Health } & TimeWork)
  | { action: "replace"; replaces: (keyof AccessTokenInputs | "accessToken")[]; deleteBeforeReplace: boolean; changed: (keyof AccessTokenInputs | "accessToken")[]; health?: Health };

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((v, i) => v === (b ?? [])[i]);


/** Whether the program's owner is the state's: decided outside (it may need a user look-up). */
export type OwnerVerdict = "same" | "changed" | "unknown";

/**
 * Pure: from the state, the new (checked) inputs, the owner verdict and the clock to what must
 * happen. Without `now`, nothing is judged by time (the health of the token, rotation, retirement).
 * `serverClock`, the CommServe's clock as its last answer dated it, only keeps a declared date that
 * has passed by it from being sent (see `judge`).
 */
export function planChange(olds: AccessTokenState, news: AccessTokenInputs, owner: OwnerVerdict = "same", now?: number, serverMoved?: boolean, serverClock?: number): Plan {
  const replaces: (keyof AccessTokenInputs | "accessToken")[] = [];
  const changed: (keyof AccessTokenInputs)[] = [];
  const patch: ModifyPatch = {};
  const unknown = (v: unknown) => isUnknown(v);

  // Owner: Commvault cannot move a token to another user, nor to another CommServe.
  if (owner !== "same") replaces.push(news.userId !== undefined ? "userId" : "userName");
  // Another CommServe is a replacement; another profile name for the same one (same URL) is not.
  const renamedProfile = (news.server ?? null) !== (olds.server ?? null);
  if (unknown(news.server) || (serverMoved ?? renamedProfile)) replaces.push("server");
  else if (renamedProfile) changed.push("server");
  // A token whose create answer (and so its secret) was lost: only a new token has a secret.
  if (olds.pendingRecreate) replaces.push("accessToken");
  // The same owner under a name the program changed (a rename on the server): recorded, no call.
  if (owner === "same" && typeof news.userName === "string" && !unknown(news.userName) && !sameName(news.userName, olds.userName)) changed.push("userName");

  if (unknown(news.scope)) {
    replaces.push("scope");
  } else if (news.scope !== olds.scope) {
    changed.push("scope");
    if (scopeChangeAllowed(olds.scope, news.scope)) patch.tokenType = TOKEN_TYPE[news.scope];
    else replaces.push("scope");
  }

  if (unknown(news.name) || news.name !== olds.name) {
    changed.push("name");
    patch.tokenName = news.name;
  }

  // Lifetime: left out means "the server's default", which never asks for a change.
  const field = !unknown(news.scope) && isFixedScope(news.scope) ? "expiresAt" : "renewableUntil";
  const wanted = news[field];
  // A declared date that has passed is never sent (the server refuses it): the health says so.
  const passed = now !== undefined && !unknown(wanted) && (parseRfc3339(wanted ?? "") ?? Infinity) <= latest(now, serverClock);
  if (wanted !== undefined && !passed && (unknown(wanted) || parseRfc3339(wanted) !== parseRfc3339(olds[field] ?? ""))) {
    changed.push(field);
    const seconds = parseRfc3339(wanted);
    if (seconds !== undefined) patch[field === "expiresAt" ? "tokenExpiryTimestamp" : "renewableUntilTimestamp"] = seconds;
  }

  if (news.scope === "Custom" && (unknown(news.apiEndpoints) || olds.scope !== "Custom" || !sameList(news.apiEndpoints, olds.apiEndpoints))) {
    changed.push("apiEndpoints");
    if (!unknown(news.apiEndpoints)) patch.apiEndpoints = news.apiEndpoints ?? [];
  }

  if (news.ipAllowlist !== undefined && (unknown(news.ipAllowlist) || !sameList(news.ipAllowlist, olds.ipAllowlist))) {
    changed.push("ipAllowlist");
    if (!unknown(news.ipAllowlist)) patch.allowedIPs = news.ipAllowlist;
  }

  const work: TimeWork = {};
  const health = now === undefined ? undefined : judge(olds, news, now, serverClock);
  if (health?.kind === "recreate") replaces.push("accessToken");
  if (health?.kind === "stale-date") work.refuse = health.reason;
  if (health?.kind === "extend" && patch.renewableUntilTimestamp === undefined && patch.tokenExpiryTimestamp === undefined) {
    patch[field === "expiresAt" ? "tokenExpiryTimestamp" : "renewableUntilTimestamp"] = health.until;
    changed.push(field);
  }
  if (typeof news.generation === "number" && !unknown(news.generation) && news.generation > (olds.generation ?? 1)) work.rotate = true;
  const retireAfter = parseRfc3339(olds.previous?.retireAfter ?? "");
  if (now !== undefined && olds.previous && (retireAfter === undefined || now >= retireAfter)) work.retire = true;

  if (replaces.length) {
    const sameOwner = !replaces.includes("userId") && !replaces.includes("userName") && !replaces.includes("server");
    // Names are unique per user: keeping the name means the old token must go first.
    const deleteBeforeReplace = sameOwner && !unknown(news.name) && sameName(news.name, olds.name);
    return { action: "replace", replaces, deleteBeforeReplace, changed: [...new Set([...changed, ...replaces])], health };
  }
  if (changed.length === 0 && !work.rotate && !work.retire && !work.refuse) return { action: "none", health };
  return { action: "update", patch, changed, health, ...work };
}
