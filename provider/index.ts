export { provider } from "./lifecycle/provider";
export { CommvaultClient, type CreateTokenRequest, type ModifyTokenRequest } from "./client/client";
export { CommvaultError, CreateAnswerLostError } from "./client/errors";
export type { ClientSettings, HeaderStyle } from "./client/settings";
