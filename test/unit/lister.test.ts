import type { TokenListEntry } from "../../provider/client/schemas";
import { TokenLister } from "../../provider/lister";

/** A list call that the test answers by hand, to order events exactly. */
function manualList() {
  const sent: { userId: number; resolve: (v: TokenListEntry[]) => void }[] = [];
  const list = (userId: number) => new Promise<TokenListEntry[]>((resolve) => sent.push({ userId, resolve }));
  return { sent, list };
}
const tick = () => new Promise((r) => setImmediate(r));
const entry = (id: number) => ({ accessTokenId: id, userId: 1, tokenName: `t${id}`, tokenType: 2 }) as TokenListEntry;

describe("one list per owner per concurrent wave", () => {
  test("callers of one wave share one list; other owners get their own", async () => {
    const m = manualList();
    const l = new TokenLister(m.list);
    const calls = [l.tokens(1), l.tokens(1), l.tokens(1), l.tokens(2)];
    await tick();
    expect(m.sent.map((s) => s.userId)).toEqual([1, 2]);
    m.sent[0]!.resolve([entry(5)]);
    m.sent[1]!.resolve([]);
    expect(await Promise.all(calls)).toEqual([[entry(5)], [entry(5)], [entry(5)], []]);
  });

  test("a caller that arrives while a list is in flight gets the next list, sent after it asked, shared with the others who arrived meanwhile", async () => {
    const m = manualList();
    const l = new TokenLister(m.list);
    const first = l.tokens(1);
    await tick();
    const late = [l.tokens(1), l.tokens(1)];
    await tick();
    expect(m.sent).toHaveLength(1);
    m.sent[0]!.resolve([]);
    await first;
    await tick();
    expect(m.sent).toHaveLength(2);
    m.sent[1]!.resolve([entry(7)]);
    expect(await Promise.all(late)).toEqual([[entry(7)], [entry(7)]]);
  });

  test("a failed list fails its wave only", async () => {
    let n = 0;
    const l = new TokenLister(async () => {
      if (++n === 1) throw new Error("boom");
      return [entry(1)];
    });
    await expect(l.tokens(1)).rejects.toThrow("boom");
    expect(await l.tokens(1)).toEqual([entry(1)]);
  });
});
