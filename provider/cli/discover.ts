import type { CommvaultClient, CommvaultUser } from "../client/client";
import { CommvaultError } from "../client/errors";
import { listedToken } from "../connection/list";
import type { Discovered } from "./program";

export interface DiscoverOptions {
  /** Only these users, by name (case-insensitively) or id. */
  users?: string[];
  /** Only the logged-in user. */
  mine?: boolean;
  /** Every user, and fail rather than leave out those the login may not list. */
  allUsers?: boolean;
  server?: string;
}

/** The progress line: a start while a list is in flight, its end when it answered. */
export interface Progress {
  start(text: string): void;
  end(text: string): void;
}

/** On stderr: rewritten in place on a terminal, one line per user otherwise (logs, CI). */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let line = "";
  return {
    start(text) {
      line = text;
      stream.write(stream.isTTY ? `\r\x1b[K${text}` : text);
    },
    end(text) {
      stream.write(stream.isTTY ? `\r\x1b[K${line} ${text}\n` : ` ${text}\n`);
    },
  };
}

type User = Pick<CommvaultUser, "userId" | "userName">;

/** The users `--users` names, each found by id or name among those the login can see. */
function pick(all: CommvaultUser[], wanted: string[]): User[] {
  return wanted.map((w) => {
    const found = /^\d+$/.test(w) ? all.find((u) => u.userId === Number(w)) : all.find((u) => u.userName.toLowerCase() === w.toLowerCase());
    if (found) return found;
    const some = all.slice(0, 8).map((u) => u.userName).join(", ");
    throw new Error(`--users: "${w}" is not a user the login can see (users: ${some}${all.length > 8 ? ", ..." : ""})`);
  });
}

const forbidden = (e: unknown) => CommvaultError.isInstance(e) && (e.kind === "forbidden" || e.status === 403);

/**
 * Lists the tokens of the chosen users: the logged-in user's, then, unless `users` or `mine`
 * narrow it, every other user's the login may list, which is all of them for an administrator.
 * An end user may list only their own, so the first refusal for another user ends the listing,
 * with a note, rather than trying each user in turn. With `users` or `allUsers`, a user that may
 * not be listed fails the whole run instead.
 */
export async function discover(c: CommvaultClient, who: { url: string; username: string }, opts: DiscoverOptions, progress: Progress): Promise<Discovered> {
  const me = await c.whoAmI();
  let targets: User[];
  if (opts.mine) targets = [me];
  else {
    const all = await c.listUsers();
    targets = opts.users?.length ? pick(all, opts.users) : [me, ...all.filter((u) => u.userId !== me.userId).sort((a, b) => a.userId - b.userId)];
  }
  const found: Discovered = { url: who.url, username: who.username, server: opts.server, users: [], notes: [] };
  for (const [i, user] of targets.entries()) {
    progress.start(`listing tokens of ${user.userName} (${i + 1}/${targets.length})...`);
    try {
      const tokens = (await c.listTokens(user.userId)).filter((t) => t.userId === user.userId).map((t) => listedToken(t, user.userName));
      tokens.sort((a, b) => a.tokenId - b.tokenId);
      progress.end(`${tokens.length} found`);
      found.users.push({ userId: user.userId, userName: user.userName, tokens });
    } catch (e) {
      if (!forbidden(e)) throw e;
      progress.end("not permitted");
      if (opts.users?.length || opts.allUsers) throw new Error(`${me.userName} may not list the tokens of ${user.userName} (user id ${user.userId}): only an administrator lists other users' tokens`);
      found.notes.push(`the tokens of other users: ${me.userName} is not an administrator, so only its own tokens were listed`);
      break;
    }
  }
  return found;
}
