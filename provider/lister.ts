import type { TokenListEntry } from "./client/schemas";

type ListFn = (userId: number) => Promise<TokenListEntry[]>;

interface Wave {
  /** Settles with the list that is sent once the wave in flight (if any) has answered. */
  promise: Promise<TokenListEntry[]>;
}

/**
 * One list of an owner's tokens per concurrent wave, shared by every caller of that wave: the
 * name check before a create, the look-up after it (for what only the server knows, such as
 * createdAt), lost-answer recovery and refresh. The engine runs steps in parallel, so N tokens of
 * K owners cost about 2K lists per wave rather than N lists of each owner's whole list.
 *
 * Every caller gets a list that was *sent after it asked*: a caller that arrives while a list is
 * in flight waits for the next one, which is sent when the one in flight answers and is shared
 * by everyone who arrived meanwhile. So a token made just before the call is always in the answer.
 */
export class TokenLister {
  private readonly inFlight = new Map<number, Promise<unknown>>();
  private readonly next = new Map<number, Wave>();

  constructor(private readonly list: ListFn) {}

  tokens(userId: number): Promise<TokenListEntry[]> {
    const waiting = this.next.get(userId);
    if (waiting) return waiting.promise;
    const before = this.inFlight.get(userId);
    const wave: Wave = {
      promise: (before ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          // From here on, new callers must wait for a list sent after them.
          this.next.delete(userId);
          const sent = this.list(userId);
          this.inFlight.set(userId, sent);
          const clear = () => {
            if (this.inFlight.get(userId) === sent) this.inFlight.delete(userId);
          };
          sent.then(clear, clear);
          return sent;
        }),
    };
    this.next.set(userId, wave);
    return wave.promise;
  }
}
