import type { AccessTokenInputs } from "../../provider/model/inputs";
import { planChange } from "../../provider/model/plan";
import { SCOPES, forbiddenScopeChangeMessage, type Scope } from "../../provider/model/scope";
import type { AccessTokenState } from "../../provider/model/state";
import { checkInputs } from "../../provider/model/inputs";

const TYPE: Record<Scope, number> = { All: 2, Custom: 3, Hyperscale: 5, MicrosoftSCIM: 1, OneTouchRecovery: 4 };
const FIXED = new Set<Scope>(["MicrosoftSCIM", "OneTouchRecovery"]);

function state(scope: Scope, over: Partial<AccessTokenState> = {}): AccessTokenState {
  return {
    name: "ci",
    scope,
    apiEndpoints: scope === "Custom" ? ["/client"] : undefined,
    renewableUntil: FIXED.has(scope) ? undefined : "2027-03-01T00:00:00Z",
    expiresAt: FIXED.has(scope) ? "2027-01-10T00:00:00Z" : undefined,
    ipAllowlist: ["10.0.0.0/8"],
    replaceOnForbiddenScopeChange: false,
    tokenId: 104,
    userId: 21,
    userName: "svc-backup",
    ...over,
  };
}

function inputs(scope: Scope, over: Partial<AccessTokenInputs> = {}): AccessTokenInputs {
  const { tokenId: _t, userId: _u, userName: _n, ...rest } = state(scope);
  return { ...rest, userName: "svc-backup", ...over } as AccessTokenInputs;
}

describe("plan: all 25 scope pairs", () => {
  const pairs = SCOPES.flatMap((from) => SCOPES.map((to) => [from, to] as const));
  test.each(pairs)("%s -> %s", (from, to) => {
    const news = inputs(to, {
      renewableUntil: FIXED.has(to) ? undefined : state(from).renewableUntil ?? "2027-03-01T00:00:00Z",
      expiresAt: FIXED.has(to) ? state(from).expiresAt ?? "2027-01-10T00:00:00Z" : undefined,
      apiEndpoints: to === "Custom" ? ["/client"] : undefined,
    });
    const plan = planChange(state(from), news);
    if (from === to) {
      expect(plan).toEqual({ action: "none" });
    } else if (!FIXED.has(from) && !FIXED.has(to)) {
      expect(plan.action).toBe("update");
      if (plan.action !== "update") return;
      const expected: Record<string, unknown> = { tokenType: TYPE[to] };
      if (to === "Custom") expected.apiEndpoints = ["/client"];
      expect(plan.patch).toEqual(expected);
    } else {
      // Refused in check without the opt-in; with it, a replacement that keeps the name deletes first.
      expect(plan).toMatchObject({ action: "replace", replaces: ["scope"], deleteBeforeReplace: true });
      const refusal = checkInputs({ ...news, scope: from }, { ...news, scope: to }, 0).failures.find((f) => f.property === "scope");
      expect(refusal?.reason).toBe(forbiddenScopeChangeMessage(from, to));
      const optedIn = checkInputs({ ...news, scope: from }, { ...news, scope: to, replaceOnForbiddenScopeChange: true }, 0);
      expect(optedIn.failures.filter((f) => f.property === "scope")).toEqual([]);
    }
  });
});

describe("plan: each field change maps to its exact PUT body", () => {
  test.each<[string, Scope, Partial<AccessTokenInputs>, Record<string, unknown>]>([
    ["rename", "All", { name: "ci-2" }, { tokenName: "ci-2" }],
    ["rename changing only case", "All", { name: "CI" }, { tokenName: "CI" }],
    ["extend renewable-until", "All", { renewableUntil: "2027-06-01T00:00:00Z" }, { renewableUntilTimestamp: Date.UTC(2027, 5, 1) / 1000 }],
    ["extend a SCIM expiry", "MicrosoftSCIM", { expiresAt: "2027-02-01T00:00:00Z" }, { tokenExpiryTimestamp: Date.UTC(2027, 1, 1) / 1000 }],
    ["new allow list", "All", { ipAllowlist: ["192.0.2.0/24"] }, { allowedIPs: ["192.0.2.0/24"] }],
    ["empty allow list", "All", { ipAllowlist: [] }, { allowedIPs: [] }],
    ["new endpoints", "Custom", { apiEndpoints: ["/client", "/plan"] }, { apiEndpoints: ["/client", "/plan"] }],
    ["Custom to Hyperscale", "Custom", { scope: "Hyperscale", apiEndpoints: undefined }, { tokenType: 5 }],
    ["rename and re-allow-list at once", "Hyperscale", { name: "n", ipAllowlist: [] }, { tokenName: "n", allowedIPs: [] }],
  ])("%s", (_what, scope, change, body) => {
    const plan = planChange(state(scope), inputs(scope, change));
    expect(plan.action).toBe("update");
    if (plan.action === "update") expect(plan.patch).toEqual(body);
  });

  test("a left-out lifetime keeps the server's value: no change", () => {
    expect(planChange(state("All"), inputs("All", { renewableUntil: undefined }))).toEqual({ action: "none" });
  });

  test("the same instant written in another offset is no change", () => {
    expect(planChange(state("All"), inputs("All", { renewableUntil: "2027-03-01T01:00:00+01:00" }))).toEqual({ action: "none" });
  });

  test("the opt-in flag alone makes no change", () => {
    expect(planChange(state("All"), inputs("All", { replaceOnForbiddenScopeChange: true }))).toEqual({ action: "none" });
  });
});

describe("plan: owner and replacement order", () => {
  test("a new owner replaces, creating first since the names cannot clash", () => {
    expect(planChange(state("All"), inputs("All", { userName: "svc-reporting" }), "changed")).toMatchObject({ action: "replace", replaces: ["userName"], deleteBeforeReplace: false });
    expect(planChange(state("All"), inputs("All", { userName: undefined, userId: 22 }), "changed")).toMatchObject({ action: "replace", replaces: ["userId"] });
  });

  test("the same owner is no change; a name the program changed for the same id is recorded with no call", () => {
    expect(planChange(state("All"), inputs("All", { userName: undefined, userId: 21 }), "same")).toEqual({ action: "none" });
    expect(planChange(state("All"), inputs("All", { userName: "SVC-Backup" }), "same")).toEqual({ action: "none" });
    expect(planChange(state("All"), inputs("All", { userName: "svc-backup-renamed" }), "same")).toEqual({ action: "update", patch: {}, changed: ["userName"] });
  });

  test("a create whose secret was lost is replaced, deleting first since it keeps its name", () => {
    expect(planChange(state("All", { pendingRecreate: "answer lost" }), inputs("All"))).toMatchObject({ action: "replace", replaces: ["accessToken"], deleteBeforeReplace: true });
  });

  test("a forbidden scope change with a new name creates first", () => {
    const plan = planChange(state("All"), inputs("MicrosoftSCIM", { name: "ci-scim", renewableUntil: undefined, expiresAt: "2027-01-10T00:00:00Z", replaceOnForbiddenScopeChange: true }));
    expect(plan).toMatchObject({ action: "replace", deleteBeforeReplace: false });
  });

  test("values unknown during preview count as changes, never as no-ops", () => {
    const U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(planChange(state("All"), inputs("All", { name: U })).action).toBe("update");
    expect(planChange(state("All"), inputs("All", { ipAllowlist: U as unknown as string[] })).action).toBe("update");
    expect(planChange(state("All"), inputs("All", { userName: U }), "unknown").action).toBe("replace");
  });
});

/**
 * Issue 19 item 6: a declared date that has passed never reaches a PUT, whatever the server's date
 * is. The server's clock (its last answer's Date header) is a fact read, not "now": it only keeps
 * a date that has passed by it from being sent.
 */
describe("plan: a declared date between our clock and the server's (ahead)", () => {
  const t = (iso: string) => Date.parse(iso) / 1000;
  const declared = "2027-01-05T12:00:00Z";
  // Someone extended the token by hand: the server (and, after a refresh, state) says March.
  const extended = state("All", { renewableUntil: "2027-03-01T00:00:00Z" });
  const news = inputs("All", { renewableUntil: declared });
  const ours = t("2027-01-05T11:00:00Z");
  const servers = t("2027-01-05T13:00:00Z");

  test("with the server's clock unknown or behind ours, the date is sent as before", () => {
    for (const serverClock of [undefined, t("2027-01-05T10:00:00Z")]) {
      expect(planChange(extended, news, "same", ours, false, serverClock)).toMatchObject({ action: "update", patch: { renewableUntilTimestamp: t(declared) } });
    }
  });

  test("passed by the server's clock: no PUT; up refuses with the stale-date reason, naming both clocks", () => {
    const plan = planChange(extended, news, "same", ours, false, servers);
    expect(plan).toMatchObject({ action: "update", patch: {}, health: { kind: "stale-date", alive: true } });
    if (plan.action !== "update") throw new Error("an update was expected");
    expect(plan.patch.renewableUntilTimestamp).toBeUndefined();
    expect(plan.refuse).toBe(
      "the program declares renewableUntil: 2027-01-05T12:00:00Z, which has passed by the CommServe's clock, which is ahead of this machine's " +
        "(the CommServe's clock said 2027-01-05T13:00:00Z in its last answer; this machine's clock says 2027-01-05T11:00:00Z), " +
        "while the token is renewable until 2027-03-01T00:00:00Z (set outside Pulumi); a passed date cannot be sent. " +
        "Set a later renewableUntil, or use a rolling lifetime (renewableFor) to have it extended in place, and check the CommServe's time (an NTP source for both machines keeps them together)",
    );
  });

  test("Date has whole seconds: the declared second itself counts as passed, the next one does not", () => {
    const at = (s: number) => planChange(extended, inputs("All", { renewableUntil: new Date(s * 1000).toISOString() }), "same", ours, false, servers);
    expect(at(servers)).toMatchObject({ health: { kind: "stale-date" } });
    expect(at(servers + 1)).toMatchObject({ action: "update", patch: { renewableUntilTimestamp: servers + 1 }, health: { kind: "live" } });
  });

  test("a dead token whose declared date passed by the server's clock is not 'extended' to it", () => {
    const dead = state("OneTouchRecovery", { expiresAt: "2027-01-05T10:00:00Z" });
    const want = inputs("OneTouchRecovery", { expiresAt: declared });
    expect(planChange(dead, want, "same", ours, false, undefined)).toMatchObject({ action: "update", patch: { tokenExpiryTimestamp: t(declared) }, health: { kind: "extend" } });
    const plan = planChange(dead, want, "same", ours, false, servers);
    expect(plan).toMatchObject({ action: "update", patch: {}, health: { kind: "stale-date" } });
    if (plan.action !== "update") throw new Error("an update was expected");
    expect(plan.refuse).toMatch(/^expired 2027-01-05T10:00:00Z has passed, and the program still declares expiresAt: 2027-01-05T12:00:00Z, which has passed by the CommServe's clock, which is ahead of this machine's/);
  });

  test("beside other changes: the date stays out of the patch, and up refuses the whole update (as for a date passed by our clock)", () => {
    const plan = planChange(extended, { ...news, ipAllowlist: ["10.1.0.0/16"] }, "same", ours, false, servers);
    expect(plan).toMatchObject({ action: "update", patch: { allowedIPs: ["10.1.0.0/16"] } });
    if (plan.action !== "update") throw new Error("an update was expected");
    expect(plan.patch.renewableUntilTimestamp).toBeUndefined();
    expect(plan.refuse).toMatch(/ahead of this machine's/);
  });

  test("the server's clock never moves 'now': a token on Commvault's default lifetime is judged by ours", () => {
    const onDefault = state("All", { renewableUntil: "2027-01-05T12:00:00Z" });
    const plan = planChange(onDefault, inputs("All", { renewableUntil: undefined }), "same", ours, false, servers);
    expect(plan.action).toBe("none");
    expect(plan.health?.kind).toBe("live");
  });
});
