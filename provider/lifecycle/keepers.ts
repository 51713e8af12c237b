import { resourceIdentity, resourceLabel, resourceUrn } from "../connection/runtime";

/**
 * Tokens that a delete of this run must not revoke, because another resource keeps them: one that
 * adopted the token in this run (a hand-over: the program dropped its former holder and adopted
 * its token with a new resource), or one that the program still declares and that holds the token
 * in state (a hand-over whose `up` was cut short between the adoption and the delete, so that state
 * holds both). The engine deletes dropped resources after every create and diff of the run, and one
 * process serves the whole run through either door, so the delete sees them.
 *
 * A resource's own token is never kept from it: the engine deletes a resource the program declares
 * only to replace it (its diff said so, or `--replace` asked), with the state its diff was given;
 * so a delete of a state that this run's diffs were given, or that its creates and updates made,
 * is a declared resource's own, and only the delete of a dropped resource (a state this run never
 * saw) leaves a kept token alone. Where the URN is known (the plugin) it is told apart by that too.
 */
interface Keeper {
  urn?: string;
  label: string;
  how: "adopted" | "holds";
}

const keepers = new Map<string, Keeper>();
/** Resources whose diff of this run planned their replacement, by resourceIdentity. */
const replacing = new Set<string>();
/** States of declared resources this run saw (diff, update) or made (create, update), in stable form. */
const seen = new Set<string>();
const key = (server: string | undefined, tokenId: number) => `${server ?? ""}|${tokenId}`;

/** A new run (configure). */
export function forgetKeepers(): void {
  keepers.clear();
  seen.clear();
  replacing.clear();
}

/**
 * The current call's resource is to be replaced (its diff said so). Before it creates the
 * replacement the engine checks the resource again as if it were new, with no old inputs
 * (pulumi's step_generator: "we need to recompute the default values"), and that check must not
 * take it for a new resource: its `adopt` acted at its first `up` and is inert now.
 */
export function replacingThis(): void {
  const id = resourceIdentity();
  if (id !== undefined) replacing.add(id);
}

/** Whether this check (no old inputs) is the engine's second check of a resource its diff replaces. */
export function isReplacement(): boolean {
  const id = resourceIdentity();
  return id !== undefined && replacing.has(id);
}

/** A state of a declared resource: given to its diff or update, or made by its create or update. */
export function declaredState(state: object | undefined): void {
  if (state) seen.add(stableText(state));
}

/** The current call's resource adopted this token (its adoption succeeded). */
export function adopted(server: string | undefined, tokenId: number, tokenName: string): void {
  keepers.set(key(server, tokenId), { urn: resourceUrn(), label: resourceLabel(tokenName), how: "adopted" });
}

/** The current call's resource, which the program declares (its diff or update runs), holds the tokens of this state. */
export function declaredHolds(state: { server?: string; name: string; tokenId?: number; previous?: { tokenId: number } }): void {
  declaredState(state);
  for (const id of [state.tokenId, state.previous?.tokenId]) {
    if (id === undefined || keepers.has(key(state.server, id))) continue;
    keepers.set(key(state.server, id), { urn: resourceUrn(), label: resourceLabel(state.name), how: "holds" });
  }
}

/** Who keeps this token from the delete of this state (the current call's), as the warning names it; undefined: revoke it. */
export function keeperOf(state: { server?: string; name?: string; tokenId?: number }, tokenId: number): { label: string; how: "adopted" | "holds" } | undefined {
  const k = keepers.get(key(state.server, tokenId));
  if (k === undefined) return undefined;
  const urn = resourceUrn();
  if (urn !== undefined && k.urn === urn) return undefined;
  if (seen.has(stableText(state))) return undefined;
  return { label: k.label, how: k.how };
}

/**
 * JSON with keys sorted at every level, and without the dynamic provider's `__provider` (which the
 * engine adds to what create and update return): the same state reads the same whichever order
 * the wire gave its keys in.
 */
function stableText(v: unknown, top = true): string {
  if (Array.isArray(v)) return `[${v.map((x) => stableText(x, false)).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && !(top && k === "__provider"))
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableText(o[k], false)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
