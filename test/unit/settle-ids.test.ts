import { settleIds } from "../../provider/connection/config";

/** COMMVAULT_TOKENS_SETTLE: the ids the one who runs the stack confirms as its own leftovers of a run cut short. */
describe("COMMVAULT_TOKENS_SETTLE", () => {
  test("unset or empty confirms nothing", () => {
    expect([...settleIds({})]).toEqual([]);
    expect([...settleIds({ COMMVAULT_TOKENS_SETTLE: " " })]).toEqual([]);
  });

  test("a comma-separated list of ids, as a refusal prints it (spaces tolerated)", () => {
    expect([...settleIds({ COMMVAULT_TOKENS_SETTLE: "102,107" })]).toEqual([102, 107]);
    expect([...settleIds({ COMMVAULT_TOKENS_SETTLE: " 5 , 9" })]).toEqual([5, 9]);
  });

  test.each(["12;13", "0", "abc", "1,,2", "-4"])("%j is refused, naming the variable, the value and the fix", (value) => {
    expect(() => settleIds({ COMMVAULT_TOKENS_SETTLE: value })).toThrow(/COMMVAULT_TOKENS_SETTLE must be token ids separated by commas \(e\.g\. COMMVAULT_TOKENS_SETTLE=102,107\), got .* unset it or list only the ids the refusal named/);
  });
});
