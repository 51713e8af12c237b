import type { TokenListEntry } from "../client/schemas";

type ListFn = (userId: number) => Promise<TokenListEntry[]>;

/** How many recent create starts of an owner tell its pace. */
const PACE_SAMPLES = 4;
/** The longest a look-up waits for the next create of a steady stream. */
const MAX_HOLD_MS = 250;
/** At most this many other creates under way (all owners) count as the engine's workers being idle. */
const IDLE_CREATES = 1;

export interface ListerOptions {
  /** How old (from when it was sent) a list may be and still serve `recent` when its caller names no age. */
  recentMaxAgeMs?: number;
  /** The longest a look-up after a create waits for the other creates of its owner to reach theirs. */
  gatherMs?: number;
  /** How long after a look-up opens a gathering a create that starts still joins it. */
  joinMs?: number;
  now?: () => number;
}

/** The last list sent of an owner, for `recent`. */
interface Sent {
  at: number;
  /** The count of finished PUTs and DELETEs when it was sent. */
  writes: number;
  promise: Promise<TokenListEntry[]>;
  failed: boolean;
}

/** Look-ups after creates of one owner that will share one list. */
interface Gathering {
  /** The creates of this owner that had not reached their look-up when it opened. */
  members: Set<symbol>;
  /** Creates that start until then become members. */
  joinUntil: number;
  /** It waits at least until then for the next create of a steady stream (see `paceOf`). */
  holdUntil: number;
  promise: Promise<TokenListEntry[]>;
  fire: () => void;
  timers: ReturnType<typeof setTimeout>[];
}

/** A create in progress: it either reaches its look-up or ends. */
export interface CreateTicket {
  /** A list of the owner sent after this create's POST answered (and after those of the others that were under way). */
  lookup(): Promise<TokenListEntry[]>;
  /** The create ended without a look-up (it failed). */
  end(): void;
}

/**
 * One list of an owner's tokens per concurrent wave, shared by every caller of that wave: the
 * name check before a create, the look-up after it (for what only the server knows, such as
 * createdAt), lost-answer recovery and refresh. The engine runs steps in parallel, so N tokens of
 * K owners cost a few lists per wave rather than N lists of each owner's whole list.
 *
 * `tokens` gives a list *sent after the caller asked*: a caller that arrives while a list is in
 * flight waits for the next one, which is sent when the one in flight answers and is shared by
 * everyone who arrived meanwhile. So a token made or deleted just before the call is in the answer.
 *
 * A refresh's read (`recent`) takes the owner's list sent in the last 2 s, unless a PUT or
 * DELETE of this run ended since: a refresh reads its tokens over seconds anyway, and a new run
 * (configure) starts with no list, so a hand change made before the run is always seen.
 *
 * A create needs two lists, and neither needs one of its own:
 * - its name check (`recent`) takes the owner's last list if it was sent at most half a second ago
 *   and no PUT or DELETE (which could have freed or taken a name) has finished since. Creates only take names,
 *   and the server refuses a taken name anyway; the check is there to say so plainly and early.
 * - its look-up (`creating(...).lookup()`) waits until the other creates of the owner that were
 *   under way, or that start within a moment, have reached theirs (or a short while has passed),
 *   so that one list sent after all their POSTs serves them all.
 */
export class TokenLister {
  private readonly inFlight = new Map<number, Promise<unknown>>();
  private readonly next = new Map<number, Promise<TokenListEntry[]>>();
  private readonly last = new Map<number, Sent>();
  private readonly underway = new Map<number, Set<symbol>>();
  private readonly gatherings = new Map<number, Gathering>();
  /** When the last creates of each owner started (a few, newest last). */
  private readonly starts = new Map<number, number[]>();
  private writes = 0;
  /** Renames planned by this run's diffs, by token id, until their PUT ends. */
  private readonly freeing = new Map<number, { done: Promise<void>; resolve: () => void }>();
  /** Creates waiting for a rename of this token to be planned (its resource may register late). */
  private readonly planWaiters = new Map<number, Set<() => void>>();
  /** Tokens that creates of this process made (their answers arrived): never another create's to revoke. */
  readonly made = new Set<number>();
  /** Tokens that resources of this stack hold (their diff, read or update named them in this run), with a label of that resource. */
  readonly held = new Map<number, string>();
  private readonly maxAgeMs: number;
  private readonly gatherMs: number;
  private readonly joinMs: number;
  private readonly now: () => number;

  constructor(
    private readonly list: ListFn,
    options: ListerOptions = {},
  ) {
    this.maxAgeMs = options.recentMaxAgeMs ?? 2_000;
    this.gatherMs = options.gatherMs ?? 1_000;
    this.joinMs = options.joinMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  tokens(userId: number): Promise<TokenListEntry[]> {
    const waiting = this.next.get(userId);
    if (waiting) return waiting;
    const before = this.inFlight.get(userId);
    const promise = (before ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        // From here on, new callers must wait for a list sent after them.
        this.next.delete(userId);
        const sent = this.list(userId);
        const record: Sent = { at: this.now(), writes: this.writes, promise: sent, failed: false };
        this.last.set(userId, record);
        this.inFlight.set(userId, sent);
        const clear = () => {
          if (this.inFlight.get(userId) === sent) this.inFlight.delete(userId);
        };
        sent.then(clear, () => {
          record.failed = true;
          clear();
        });
        return sent;
      });
    this.next.set(userId, promise);
    return promise;
  }

  /** For a name check or a read: the owner's last list if it is recent enough and no PUT or DELETE of ours ended since it was sent; else `tokens`. */
  recent(userId: number, maxAgeMs = this.maxAgeMs): Promise<TokenListEntry[]> {
    const last = this.last.get(userId);
    if (last && !last.failed && last.writes === this.writes && this.now() - last.at <= maxAgeMs) return last.promise;
    return this.tokens(userId);
  }

  /** A new run: no list sent before serves its name checks, and no token made before is its own. */
  forget(): void {
    this.last.clear();
    this.made.clear();
    this.held.clear();
    this.freeing.clear();
  }

  /** A resource of this stack holds this token: a create waiting to judge a token under its name stops waiting. */
  hold(tokenId: number | undefined, label: string): void {
    if (tokenId === undefined || this.held.has(tokenId)) return;
    this.held.set(tokenId, label);
    this.wake(tokenId);
  }

  /** A PUT or DELETE finished, or failed after it may have been carried out: a name may be free now. */
  wrote(tokenId?: number): void {
    this.writes++;
    const planned = tokenId === undefined ? undefined : this.freeing.get(tokenId);
    if (planned) {
      this.freeing.delete(tokenId!);
      planned.resolve();
    }
  }

  /** This run renames this token away from its name (its diff said so): a create that wants the name may wait for it. */
  expectFree(tokenId: number): void {
    if (this.freeing.has(tokenId)) return;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    this.freeing.set(tokenId, { done, resolve });
    this.wake(tokenId);
  }

  private wake(tokenId: number): void {
    for (const wake of this.planWaiters.get(tokenId) ?? []) wake();
    this.planWaiters.delete(tokenId);
  }

  /**
   * Waits, at most `ms`, for a planned rename of this token to end; false when none is planned
   * within `graceMs` (a resource that depends on another registers, and is diffed, only once that
   * one's step is done). A resource found to hold it ends the grace early.
   */
  async freed(tokenId: number, ms: number, graceMs = 0): Promise<boolean> {
    if (!this.freeing.has(tokenId) && !this.held.has(tokenId) && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const waiters = this.planWaiters.get(tokenId) ?? new Set<() => void>();
        this.planWaiters.set(tokenId, waiters);
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, graceMs);
        waiters.add(wake);
      });
    }
    const planned = this.freeing.get(tokenId);
    if (!planned) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([planned.done, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return true;
  }

  /** Marks a create of this owner as under way, so that the look-ups of its neighbours wait for it. */
  creating(userId: number): CreateTicket {
    const id = Symbol("create");
    const underway = this.underway.get(userId) ?? new Set<symbol>();
    underway.add(id);
    this.underway.set(userId, underway);
    // Creates come a few at a time, at the engine's pace: one that starts just after a look-up
    // reaches its own a POST later, and is worth waiting for.
    const now = this.now();
    this.starts.set(userId, [...(this.starts.get(userId) ?? []).slice(-(PACE_SAMPLES - 1)), now]);
    const open = this.gatherings.get(userId);
    if (open && now <= open.joinUntil) open.members.add(id);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      underway.delete(id);
      if (underway.size === 0 && this.underway.get(userId) === underway) this.underway.delete(userId);
    };
    return {
      lookup: () => {
        leave();
        const g = this.gathering(userId);
        this.fireIfComplete(userId);
        return g.promise;
      },
      end: () => {
        leave();
        this.fireIfComplete(userId);
      },
    };
  }

  private gathering(userId: number): Gathering {
    const open = this.gatherings.get(userId);
    if (open) return open;
    let fire!: () => void;
    const promise = new Promise<TokenListEntry[]>((resolve) => {
      fire = () => {
        if (this.gatherings.get(userId) !== g) return;
        this.gatherings.delete(userId);
        for (const t of g.timers) clearTimeout(t);
        resolve(this.tokens(userId));
      };
    });
    const now = this.now();
    const members = new Set(this.underway.get(userId) ?? []);
    // Nobody else of this owner under way and hardly anything else either, while creates of this
    // owner come one after another: the engine's own work between steps paces them (its workers
    // are idle), so waiting about one gap for the next one costs no time and saves a list.
    const idle = [...this.underway.values()].reduce((n, s) => n + s.size, 0) <= IDLE_CREATES;
    const pace = members.size === 0 && idle ? this.paceOf(userId, now) : undefined;
    const hold = pace === undefined ? 0 : Math.min(MAX_HOLD_MS, Math.round(1.5 * pace));
    const g: Gathering = { members, joinUntil: now + Math.max(this.joinMs, hold), holdUntil: now + hold, promise, fire, timers: [] };
    this.gatherings.set(userId, g);
    if (hold > 0) g.timers.push(setTimeout(() => this.fireIfComplete(userId), hold));
    if (hold > 0 || members.size > 0) g.timers.push(setTimeout(() => g.fire(), this.gatherMs));
    return g;
  }

  /** The mean gap between this owner's last creates, when they form a steady stream that is still flowing; else undefined. */
  private paceOf(userId: number, now: number): number | undefined {
    const starts = this.starts.get(userId) ?? [];
    if (starts.length < PACE_SAMPLES) return undefined;
    const gap = (starts.at(-1)! - starts[0]!) / (starts.length - 1);
    // Still flowing: the next one is due about now; a stream that stopped is not waited for.
    return gap <= MAX_HOLD_MS && now - starts.at(-1)! <= 2 * gap ? gap : undefined;
  }

  private fireIfComplete(userId: number): void {
    const g = this.gatherings.get(userId);
    // A wait for the next create ends when one has joined and reached its look-up.
    if (!g || (this.now() < g.holdUntil && g.members.size === 0)) return;
    const underway = this.underway.get(userId);
    for (const m of g.members) if (underway?.has(m)) return;
    g.fire();
  }
}
