import type { Caller } from "./auth";
import { ok, type ApiResponse } from "./http";
import type { Store } from "./store";

export function listUsers(store: Store): ApiResponse {
  return ok({
    users: store.data.users.map((u) => ({
      userEntity: { userId: u.userId, userName: u.userName },
      userType: u.userType,
      enabled: u.enabled,
    })),
  });
}

/** The SDK reads `user.userName`; the flat fields serve simpler callers (contract section 2). */
export function whoAmI(caller: Caller): ApiResponse {
  const { userId, userName } = caller.user;
  return ok({ user: { userId, userName }, userId, userName });
}
