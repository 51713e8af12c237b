/** Token and user names are unique per user case-insensitively in Commvault: equal names, so compared. */
export const sameName = (a: string | undefined, b: string | undefined): boolean => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
