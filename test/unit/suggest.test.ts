import { editDistance, nearest, strayKeyFailures, type KeySpec } from "../../provider/model/suggest";

describe("editDistance: Levenshtein with adjacent swaps, cut off at a limit", () => {
  test.each([
    ["renewablUntil", "renewableUntil", 1],
    ["nmae", "name", 1],
    ["scope", "scope", 0],
    ["kitten", "sitting", 3],
    ["", "abc", 3],
    ["ca", "abc", 3],
  ])("%s / %s = %i", (a, b, d) => {
    expect(editDistance(a, b, 10)).toBe(d);
    expect(editDistance(b, a, 10)).toBe(d);
  });

  test("over the limit it answers limit + 1, without walking a huge input", () => {
    expect(editDistance("x".repeat(1 << 20), "name", 2)).toBe(3);
    expect(editDistance("abcdefgh", "stuvwxyz", 2)).toBe(3);
  });
});

describe("nearest", () => {
  const KNOWN = ["name", "scope", "renewableUntil", "ipAllowlist"];
  test("close words find their input, case aside; far ones find nothing", () => {
    expect(nearest("Scope", KNOWN)).toBe("scope");
    expect(nearest("renewUntil", KNOWN)).toBe("renewableUntil");
    expect(nearest("colour", KNOWN)).toBeUndefined();
    expect(nearest("constructor", KNOWN)).toBeUndefined();
  });

  test("the closest wins", () => {
    expect(nearest("scope_", ["scop", "scope"])).toBe("scope");
  });
});

describe("strayKeyFailures serves any resource, function or nested settings object", () => {
  const ROTATION: KeySpec = { owner: "AccessToken rotation", inputs: ["everyDays", "beforeExpiryDays"], prefix: "rotation." };

  test("a nested object's stray key is named with its path and its own inputs", () => {
    expect(strayKeyFailures({ everyDays: 30, beforeExpiry: 3 }, ROTATION)).toEqual([
      { property: "rotation.beforeExpiry", reason: "`beforeExpiry` is not an AccessToken rotation input; did you mean `beforeExpiryDays`?" },
    ]);
  });

  test("keys inherited from Object.prototype are not inputs, and ignored keys are passed over", () => {
    expect(strayKeyFailures({ everyDays: 1, __meta: 1 }, { ...ROTATION, ignore: ["__meta"] })).toEqual([]);
    expect(strayKeyFailures({ everyDays: 1 }, ROTATION)).toEqual([]);
    expect(strayKeyFailures({ hasOwnProperty: 1 }, ROTATION).map((f) => f.property)).toEqual(["rotation.hasOwnProperty"]);
  });

  test("a key too long to show is cut in the message and the property", () => {
    const [f] = strayKeyFailures({ ["q".repeat(5000)]: 1 }, ROTATION);
    expect(f!.property).toHaveLength("rotation.".length + 101);
    expect(f!.reason).toMatch(/^"q{40}"… \(5000 characters\) is not an AccessToken rotation input; remove it\./);
  });
});
