export { AccessToken, type AccessTokenAdopt, type AccessTokenArgs, type AccessTokenRotation, type AccessTokenScope, type PreviousAccessToken } from "./access-token";
