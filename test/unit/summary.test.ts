import { summarise } from "../../provider/model/summary";

const T = Date.UTC(2027, 0, 10, 12) / 1000;
const DAY = 86_400;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("a token's health at a glance", () => {
  test("a rolling lifetime says when it extends; a rotation that comes first is the next event", () => {
    const base = { scope: "All" as const, renewableUntil: iso(T + 60 * DAY), accessTokenExpiresAt: iso(T - DAY), renewableFor: "90d", extendWhenLeft: "30d" };
    expect(summarise(base, T)).toEqual({ health: "live", why: "renewable until 2027-03-11", next: "extends in place (rolling 90d, at 30d left) from 2027-02-09" });
    expect(summarise({ ...base, rotateAfter: iso(T + 5 * DAY) }, T).next).toBe("rotates (new secret, old one kept for the overlap) from 2027-01-15");
  });

  test("dead past its end, dead when the refresh window lapsed, ending soon without a rolling lifetime", () => {
    expect(summarise({ scope: "OneTouchRecovery", expiresAt: iso(T - DAY) }, T)).toMatchObject({ health: "dead", why: "expired 2027-01-09" });
    expect(summarise({ scope: "All", renewableUntil: iso(T + 60 * DAY), accessTokenExpiresAt: iso(T - 15 * DAY) }, T)).toMatchObject({ health: "dead", why: expect.stringMatching(/refresh window lapsed on 2027-01-09/) });
    expect(summarise({ scope: "MicrosoftSCIM", expiresAt: iso(T + 3 * DAY) }, T)).toMatchObject({ health: "ending soon" });
  });
});
