import * as fs from "node:fs";
import * as path from "node:path";
import { FIRST_TOKEN_ID, SEED_USERS } from "./contract";

export interface UserRecord {
  userId: number;
  userName: string;
  userType: "user" | "service";
  admin: boolean;
  enabled: boolean;
  userGUID: string;
  /** Plaintext: the emulator is a test double. Service accounts have none and cannot log in. */
  password?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken?: string;
}

export interface TokenRecord {
  accessTokenId: number;
  userId: number;
  tokenName: string;
  tokenType: number;
  apiEndpoints: string[];
  allowedIPs: string[];
  createdTime: number;
  lastUsedTime: number;
  /** All/Custom/Hyperscale only. */
  renewableUntilTimestamp?: number;
  /** Access-token expiry (All/Custom/Hyperscale) or the token's whole life (SCIM/1-Touch). */
  tokenExpiryTimestamp: number;
  refreshTokenExpiryTimestamp?: number;
  accessToken: string;
  refreshToken?: string;
  /** Earlier pairs of the create-and-renew chain: replaying one revokes the token. */
  chain: TokenPair[];
}

export interface SessionRecord {
  token: string;
  userId: number;
  timeoutMinutes: number;
  lastUsed: number;
  /** As given at login; RenewLoginToken may check it (contract.ts SESSION_RENEWAL). */
  deviceId?: string;
}

export interface StoreData {
  users: UserRecord[];
  tokens: TokenRecord[];
  sessions: SessionRecord[];
  nextTokenId: number;
}

export interface SeedPasswords {
  admin?: string;
  alice?: string;
}

export function seedData(passwords: SeedPasswords = {}): StoreData {
  const users: UserRecord[] = SEED_USERS.map((u) => {
    const override = u.userName === "admin" ? passwords.admin : u.userName === "alice" ? passwords.alice : undefined;
    const record: UserRecord = {
      userId: u.userId,
      userName: u.userName,
      userType: u.userType,
      admin: u.admin,
      enabled: true,
      userGUID: `00000000-0000-4000-8000-${String(u.userId).padStart(12, "0")}`,
    };
    if ("defaultPassword" in u) {
      record.password = override ?? process.env[u.passwordEnv] ?? u.defaultPassword;
    }
    return record;
  });
  return { users, tokens: [], sessions: [], nextTokenId: FIRST_TOKEN_ID };
}

/**
 * The emulator's whole state. With a data file, every change is written to a temporary file
 * and renamed over the old one, so a crash mid-write never leaves a torn file behind.
 */
export class Store {
  data: StoreData;

  constructor(
    private readonly file: string | undefined,
    private readonly passwords: SeedPasswords,
  ) {
    this.data = this.load() ?? seedData(passwords);
    this.save();
  }

  private load(): StoreData | undefined {
    if (!this.file || !fs.existsSync(this.file)) return undefined;
    const parsed = JSON.parse(fs.readFileSync(this.file, "utf8")) as StoreData;
    if (!Array.isArray(parsed.users) || !Array.isArray(parsed.tokens)) {
      throw new Error(`emulator data file ${this.file} is not an emulator store; move it away or pass another --data`);
    }
    parsed.sessions ??= [];
    return parsed;
  }

  save(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  reset(): void {
    this.data = seedData(this.passwords);
    this.save();
  }

  user(userId: number): UserRecord | undefined {
    return this.data.users.find((u) => u.userId === userId);
  }

  token(accessTokenId: number): TokenRecord | undefined {
    return this.data.tokens.find((t) => t.accessTokenId === accessTokenId);
  }

  removeToken(accessTokenId: number): void {
    this.data.tokens = this.data.tokens.filter((t) => t.accessTokenId !== accessTokenId);
  }
}
