import type { TokenListEntry } from "../../provider/client/schemas";
import { TokenLister } from "../../provider/connection/lister";

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

describe("a name check takes a list sent a moment ago, unless a name may have been freed since", () => {
  test("it joins the list in flight, and takes an answered one while it is young; an older one is sent again", async () => {
    const m = manualList();
    let now = 1_000;
    const l = new TokenLister(m.list, { recentMaxAgeMs: 2_000, now: () => now });
    const first = l.tokens(1);
    await tick();
    const check = l.recent(1);
    await tick();
    expect(m.sent).toHaveLength(1);
    m.sent[0]!.resolve([entry(3)]);
    expect(await first).toEqual([entry(3)]);
    expect(await check).toEqual([entry(3)]);
    now += 2_000;
    expect(await l.recent(1)).toEqual([entry(3)]);
    expect(m.sent).toHaveLength(1);
    now += 1;
    const stale = l.recent(1);
    await tick();
    expect(m.sent).toHaveLength(2);
    m.sent[1]!.resolve([]);
    expect(await stale).toEqual([]);
  });

  test("a PUT or DELETE that ended after the list was sent makes the next name check wait for a new list", async () => {
    const m = manualList();
    const l = new TokenLister(m.list, { now: () => 0 });
    const first = l.tokens(1);
    await tick();
    m.sent[0]!.resolve([entry(3)]);
    await first;
    l.wrote();
    const check = l.recent(1);
    await tick();
    expect(m.sent).toHaveLength(2);
    m.sent[1]!.resolve([]);
    expect(await check).toEqual([]);
    // The new list was sent after the write: it serves the next check.
    expect(await l.recent(1)).toEqual([]);
    expect(m.sent).toHaveLength(2);
  });

  test("a failed list serves no name check, and other owners' lists never do", async () => {
    let n = 0;
    const l = new TokenLister(async (userId) => {
      n++;
      if (n === 1) throw new Error("boom");
      return [entry(userId)];
    }, { now: () => 0 });
    await expect(l.tokens(1)).rejects.toThrow("boom");
    expect(await l.recent(1)).toEqual([entry(1)]);
    expect(await l.recent(2)).toEqual([entry(2)]);
    expect(n).toBe(3);
  });
});

describe("the look-ups after concurrent creates of one owner share one list, sent after all their POSTs", () => {
  test("the first look-up waits for the creates under way; the list is sent once the last one reaches its look-up", async () => {
    const m = manualList();
    const l = new TokenLister(m.list, { gatherMs: 60_000, joinMs: 0 });
    const [a, b, c] = [l.creating(1), l.creating(1), l.creating(1)];
    const other = l.creating(2);
    const la = a.lookup();
    await tick();
    expect(m.sent).toHaveLength(0);
    const lb = b.lookup();
    await tick();
    expect(m.sent).toHaveLength(0);
    c.end(); // failed: nothing to wait for any more
    await tick();
    expect(m.sent.map((s) => s.userId)).toEqual([1]);
    m.sent[0]!.resolve([entry(4)]);
    expect(await Promise.all([la, lb])).toEqual([[entry(4)], [entry(4)]]);
    // Owner 2's create was never waited for, and gets its own list.
    const lo = other.lookup();
    await tick();
    expect(m.sent.map((s) => s.userId)).toEqual([1, 2]);
    m.sent[1]!.resolve([]);
    expect(await lo).toEqual([]);
  });

  test("a create that starts just after the first look-up is waited for", async () => {
    const m = manualList();
    let now = 0;
    const l = new TokenLister(m.list, { gatherMs: 60_000, joinMs: 100, now: () => now });
    const [a, b] = [l.creating(1), l.creating(1)];
    const la = a.lookup();
    now = 100;
    const soon = l.creating(1);
    now = 101;
    const tooLate = l.creating(1);
    const lb = b.lookup();
    await tick();
    expect(m.sent).toHaveLength(0);
    const ls = soon.lookup();
    await tick();
    expect(m.sent).toHaveLength(1);
    m.sent[0]!.resolve([entry(9)]);
    expect(await Promise.all([la, lb, ls])).toEqual([[entry(9)], [entry(9)], [entry(9)]]);
    tooLate.end();
  });

  test("a create started after the gathering opened may join it while it waits, and is not waited for", async () => {
    const m = manualList();
    const l = new TokenLister(m.list, { gatherMs: 60_000, joinMs: 0, now: () => 1 });
    const [a, b] = [l.creating(1), l.creating(1)];
    const la = a.lookup();
    const late = l.creating(1);
    const ll = late.lookup();
    await tick();
    expect(m.sent).toHaveLength(0);
    const lb = b.lookup();
    await tick();
    expect(m.sent).toHaveLength(1);
    m.sent[0]!.resolve([entry(9)]);
    expect(await Promise.all([la, lb, ll])).toEqual([[entry(9)], [entry(9)], [entry(9)]]);
  });

  test("creates of one owner that come one at a time, at a steady pace, while the engine's workers are idle: a look-up waits about one gap for the next", async () => {
    jest.useFakeTimers();
    try {
      const sent: number[] = [];
      const l = new TokenLister(async (userId) => (sent.push(Date.now()), [entry(userId)]), { now: () => Date.now() });
      const t0 = Date.now();
      // Four creates, 100 ms apart, each reaching its look-up 30 ms after it started: the first
      // three have no pace to go by yet and send at once.
      const lookups: Promise<unknown>[] = [];
      for (let i = 0; i < 4; i++) {
        const c = l.creating(1);
        await jest.advanceTimersByTimeAsync(30);
        lookups.push(c.lookup());
        await jest.advanceTimersByTimeAsync(i < 3 ? 70 : 0);
      }
      expect(sent.map((t) => t - t0)).toEqual([30, 130, 230]);
      // The fourth waits: the fifth starts 70 ms later, joins, and one list serves both.
      await jest.advanceTimersByTimeAsync(70);
      const fifth = l.creating(1);
      await jest.advanceTimersByTimeAsync(30);
      lookups.push(fifth.lookup());
      await jest.advanceTimersByTimeAsync(200);
      expect(sent.map((t) => t - t0)).toEqual([30, 130, 230, 430]);
      await Promise.all(lookups);
    } finally {
      jest.useRealTimers();
    }
  });

  test("no waiting for the next create when the workers are busy with other creates", async () => {
    jest.useFakeTimers();
    try {
      const sent: number[] = [];
      const l = new TokenLister(async (userId) => (sent.push(Date.now()), [entry(userId)]), { now: () => Date.now() });
      const busy = [l.creating(2), l.creating(3)];
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) {
        const c = l.creating(1);
        await jest.advanceTimersByTimeAsync(30);
        void c.lookup();
        await jest.advanceTimersByTimeAsync(70);
      }
      expect(sent.map((t) => t - t0)).toEqual([30, 130, 230, 330, 430]);
      for (const b of busy) b.end();
    } finally {
      jest.useRealTimers();
    }
  });

  test("a create that never reaches its look-up holds the others back only for the gathering's limit", async () => {
    jest.useFakeTimers();
    try {
      const sent: number[] = [];
      const l = new TokenLister(async (userId) => (sent.push(userId), [entry(1)]), { gatherMs: 500 });
      const [a] = [l.creating(1), l.creating(1)];
      const la = a.lookup();
      await jest.advanceTimersByTimeAsync(499);
      expect(sent).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(sent).toEqual([1]);
      expect(await la).toEqual([entry(1)]);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a look-up with no other create under way is sent at once, and after a list in flight", async () => {
    const m = manualList();
    const l = new TokenLister(m.list);
    const inflight = l.tokens(1);
    await tick();
    const lookup = l.creating(1).lookup();
    await tick();
    expect(m.sent).toHaveLength(1);
    m.sent[0]!.resolve([]);
    await inflight;
    await tick();
    expect(m.sent).toHaveLength(2);
    m.sent[1]!.resolve([entry(2)]);
    expect(await lookup).toEqual([entry(2)]);
  });
});
