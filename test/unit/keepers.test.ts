import { adopted, declaredHolds, declaredState, forgetKeepers, keeperOf } from "../../provider/lifecycle/keepers";
import { setUrnSource } from "../../provider/connection/runtime";

/** Which delete may revoke a token (provider/lifecycle/keepers.ts): only the dropped holder's is kept from it. */
describe("keepers of a token, within one run", () => {
  beforeEach(() => forgetKeepers());
  afterEach(() => setUrnSource(undefined));
  const holder = { name: "made-here", tokenId: 171, userId: 21, previous: { tokenId: 170, name: "made-here~g1", generation: 1, retireAfter: "2027-01-01T00:00:00Z" } };
  const dropped = { name: "made-here", tokenId: 171, userId: 21, createdAt: "2026-12-01T00:00:00Z" };

  test("a declared holder keeps its tokens (current and aside) from the delete of a dropped resource", () => {
    declaredHolds(holder);
    expect(keeperOf(dropped, 171)).toEqual({ label: 'the resource of access token "made-here"', how: "holds" });
    expect(keeperOf({ ...dropped, tokenId: 170 }, 170)).toEqual(expect.objectContaining({ how: "holds" }));
    expect(keeperOf(dropped, 999)).toBeUndefined();
  });

  test("the holder's own delete (a replacement) revokes: its state as the diff saw it, keys in any order, __provider aside", () => {
    declaredHolds(holder);
    const reordered = { __provider: "exports.handler = ...", previous: { retireAfter: "2027-01-01T00:00:00Z", generation: 1, name: "made-here~g1", tokenId: 170 }, userId: 21, tokenId: 171, name: "made-here" };
    expect(keeperOf(reordered, 171)).toBeUndefined();
    // A state its update made is its own too.
    const updated = { ...holder, name: "renamed" };
    declaredState(updated);
    expect(keeperOf(updated, 171)).toBeUndefined();
  });

  test("an adopter of this run keeps the token; its own delete does not; a new run forgets", () => {
    adopted(undefined, 171, "made-here");
    expect(keeperOf(dropped, 171)).toEqual(expect.objectContaining({ how: "adopted" }));
    expect(keeperOf({ ...dropped, server: "dr" }, 171)).toBeUndefined();
    forgetKeepers();
    expect(keeperOf(dropped, 171)).toBeUndefined();
  });

  test("through the plugin, the keeper's own delete is told apart by URN", () => {
    setUrnSource(() => "urn:d1");
    adopted(undefined, 171, "made-here");
    expect(keeperOf(dropped, 171)).toBeUndefined();
    setUrnSource(() => "urn:c1");
    expect(keeperOf(dropped, 171)).toEqual({ label: "resource urn:d1", how: "adopted" });
  });
});
