import type { CommvaultClient, CommvaultUser } from "../client/client";
import type { AccessTokenInputs } from "../model/inputs";
import { OTHER_PERSON_RULE } from "../model/owner-rules";
import type { AccessTokenState } from "../model/state";
import { isUnknown } from "../model/unknown";

export interface Owner {
  userId: number;
  userName?: string;
  /** "user" for a person, "service" for a service account, when the user list says so. */
  userType?: string;
  /** True when the inputs named the owner, so the create must say whom it is for. */
  explicit: boolean;
}

/** Users and the caller, fetched once per client (so once per run) rather than once per token. */
const directory = new WeakMap<CommvaultClient, { users?: Promise<CommvaultUser[]>; me?: Promise<{ userId: number; userName: string }> }>();

function memo<T>(c: CommvaultClient, key: "users" | "me", load: () => Promise<T>, fresh = false): Promise<T> {
  const entry = directory.get(c) ?? {};
  directory.set(c, entry);
  if (fresh || !entry[key]) {
    const p = load();
    (entry as Record<string, Promise<unknown>>)[key] = p;
    p.catch(() => delete entry[key]);
  }
  return entry[key] as Promise<T>;
}

/** The logged-in user, as the server knows them (an AD login may come back under another name). */
export function me(c: CommvaultClient): Promise<{ userId: number; userName: string }> {
  return memo(c, "me", () => c.whoAmI());
}

type OwnerInputs = Pick<AccessTokenInputs, "userId" | "userName">;

export async function resolveOwner(c: CommvaultClient, inputs: OwnerInputs): Promise<Owner> {
  if (inputs.userId === undefined && inputs.userName === undefined) {
    const self = await me(c);
    return { userId: self.userId, userName: self.userName, explicit: false };
  }
  const find = (users: CommvaultUser[]) =>
    inputs.userId !== undefined
      ? users.find((u) => u.userId === inputs.userId)
      : users.find((u) => u.userName.toLowerCase() === inputs.userName!.toLowerCase());
  // A miss may be a user added since the list was fetched: look once more before giving up.
  const found = find(await memo(c, "users", () => c.listUsers())) ?? find(await memo(c, "users", () => c.listUsers(), true));
  if (!found) {
    const what = inputs.userId !== undefined ? `userId ${inputs.userId}` : `userName "${inputs.userName}"`;
    throw new Error(`${what} is not a Commvault user the logged-in user can see; check the owner's id or name in Command Center (Manage > Security > Users)`);
  }
  return { userId: found.userId, userName: found.userName, userType: found.userType, explicit: true };
}

/**
 * Refuses, before any write, a create that Commvault forbids whoever asks: a token for another
 * person. Service accounts' tokens are an administrator's to create.
 */
export async function assertMayCreateFor(c: CommvaultClient, owner: Owner): Promise<void> {
  if (!owner.explicit || owner.userType !== "user") return;
  const self = await me(c);
  if (self.userId === owner.userId) return;
  throw new Error(`cannot create an access token for user "${owner.userName ?? owner.userId}" (id ${owner.userId}): ${OTHER_PERSON_RULE}`);
}

export type OwnerVerdict = "same" | "changed" | "unknown";

/**
 * Whether the program's owner is the state's owner. The owner is the user id in state: a token
 * that names no owner stays with the owner recorded at creation, and a user renamed on the server
 * is the same owner. Only a declared owner that the program changed is looked up (once per run).
 */
export async function ownerVerdict(c: () => CommvaultClient, olds: AccessTokenState, news: OwnerInputs): Promise<OwnerVerdict> {
  if (news.userId !== undefined) {
    if (isUnknown(news.userId)) return "unknown";
    return news.userId === olds.userId ? "same" : "changed";
  }
  if (news.userName === undefined) return "same";
  if (isUnknown(news.userName)) return "unknown";
  if (olds.userName !== undefined && news.userName.toLowerCase() === olds.userName.toLowerCase()) return "same";
  const owner = await resolveOwner(c(), { userName: news.userName });
  return owner.userId === olds.userId ? "same" : "changed";
}
