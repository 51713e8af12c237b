import type { CommvaultClient, CommvaultUser } from "./client/client";
import type { AccessTokenInputs } from "./model/inputs";

export interface Owner {
  userId: number;
  userName?: string;
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

export async function resolveOwner(c: CommvaultClient, inputs: AccessTokenInputs): Promise<Owner> {
  if (inputs.userId === undefined && inputs.userName === undefined) {
    const me = await memo(c, "me", () => c.whoAmI());
    return { userId: me.userId, userName: me.userName, explicit: false };
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
  return { userId: found.userId, userName: found.userName, explicit: true };
}

