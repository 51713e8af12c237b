import { configure } from "../helpers/lifecycle";
import { captureNotes } from "../helpers/notes";

/**
 * A malformed COMMVAULT_TOKENS_SETTLE is read only by the creates of `up`, which refuse it; the
 * preview says so too (configure runs in every command), before a pipeline reaches its up.
 */
describe("COMMVAULT_TOKENS_SETTLE at preview", () => {
  const said = captureNotes();
  afterEach(() => {
    delete process.env.COMMVAULT_TOKENS_SETTLE;
  });

  test.each([
    ["abc", "abc"],
    ["146;rm", "146;rm"],
    ["102, x7", "x7"],
  ])("%s: configure warns, naming the bad part and the fix", async (value, bad) => {
    process.env.COMMVAULT_TOKENS_SETTLE = value;
    await configure({});
    expect(said).toEqual([
      `warning: COMMVAULT_TOKENS_SETTLE must be token ids separated by commas (e.g. COMMVAULT_TOKENS_SETTLE=102,107), got "${bad}" in "${value}"; unset it or list only the ids the refusal named`,
    ]);
  });

  test.each([[""], ["102"], ["102, 107"]])("%j: nothing to say", async (value) => {
    process.env.COMMVAULT_TOKENS_SETTLE = value;
    await configure({});
    expect(said).toEqual([]);
  });
});
