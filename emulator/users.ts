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

export function whoAmI(caller: Caller): ApiResponse {
  return ok({ userId: caller.user.userId, userName: caller.user.userName });
}
