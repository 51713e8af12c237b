import { checkInputs, type AccessTokenInputs } from "../../provider/model/inputs";
import { timeNotes } from "../../provider/model/notes";
import { planChange } from "../../provider/model/plan";
import type { AccessTokenState } from "../../provider/model/state";

const t = (iso: string) => Date.parse(iso) / 1000;

/**
 * A rolling lifetime past its resolved date: `preview --refresh` diffs the last run's inputs
 * (refresh's diff: the resolved date, now passed) and then the program's (check resolves afresh).
 * The program declares no date, so neither diff may say it does: one note, what up does.
 */
describe("health: a rolling lifetime whose resolved date has passed", () => {
  const cases = [
    { scope: "MicrosoftSCIM", field: "expiresAt", rolling: { expiresIn: "30d" } },
    { scope: "All", field: "renewableUntil", rolling: { renewableFor: "30d" } },
  ] as const;
  for (const c of cases) {
    test(`${c.scope}: both diffs say the token is extended in place, and neither names ${c.field} as declared`, () => {
      const created = t("2026-12-06T00:00:00Z");
      const first = checkInputs(undefined, { name: "scim", scope: c.scope, ...c.rolling }, created);
      expect(first.failures).toEqual([]);
      const lastInputs = first.inputs as unknown as AccessTokenInputs;
      const end = lastInputs[c.field]!;
      expect(end).toBe("2027-01-05T00:00:00Z");
      const state = { ...lastInputs, ipAllowlist: [], replaceOnForbiddenScopeChange: false, tokenId: 7, userId: 21, userName: "svc" } as AccessTokenState;
      const now = t("2027-02-10T00:00:00Z");
      const refreshDiff = timeNotes(state, lastInputs, planChange(state, lastInputs, "same", now, false));
      const news = checkInputs(first.inputs, { name: "scim", scope: c.scope, ...c.rolling }, now).inputs as unknown as AccessTokenInputs;
      const upDiff = timeNotes(state, news, planChange(state, news, "same", now, false));
      const label = c.field === "expiresAt" ? "expired" : "renewable until";
      const extend = `access token "scim" (id 7) is dead: ${label} 2027-01-05T00:00:00Z has passed; \`pulumi up\` extends it in place to 2027-03-12T00:00:00Z (same id, same secret)`;
      expect(upDiff).toEqual([extend]);
      expect(refreshDiff).toEqual([extend]);
    });
  }

  test("a date the program declares itself is still judged stale when passed", () => {
    const state = { name: "x", scope: "MicrosoftSCIM", expiresAt: "2027-01-05T00:00:00Z", ipAllowlist: [], replaceOnForbiddenScopeChange: false, tokenId: 7, userId: 21, userName: "svc" } as AccessTokenState;
    const news = { name: "x", scope: "MicrosoftSCIM", expiresAt: "2027-01-05T00:00:00Z" } as AccessTokenInputs;
    expect(planChange(state, news, "same", t("2027-02-10T00:00:00Z"), false).health).toMatchObject({ kind: "stale-date" });
  });
});

describe("notes: a rolling period changed right after create", () => {
  test("says the period changed, not that less than a third is left", () => {
    const created = t("2026-12-06T00:00:00Z");
    const first = checkInputs(undefined, { name: "x", scope: "All", renewableFor: "90d" }, created);
    const state = { ...(first.inputs as unknown as AccessTokenInputs), ipAllowlist: [], replaceOnForbiddenScopeChange: false, tokenId: 102, userId: 21, userName: "svc" } as AccessTokenState;
    const notesFor = (renewableFor: string) => {
      const news = checkInputs(first.inputs, { name: "x", scope: "All", renewableFor }, created + 3600).inputs as unknown as AccessTokenInputs;
      return timeNotes(state, news, planChange(state, news, "same", created + 3600, false));
    };
    expect(notesFor("120d")).toEqual([
      'access token "x" (id 102): renewableFor changed 90d => 120d: `pulumi up` extends it in place to a 120d life from today: renewableUntil 2027-03-06T00:00:00Z => 2027-04-05T00:00:00Z (same id, same secret)',
    ]);
    expect(notesFor("60d")[0]).toMatch(/renewableFor changed 90d => 60d: `pulumi up` shortens it in place/);
    expect(notesFor("90d")).toEqual([]);
  });
});
