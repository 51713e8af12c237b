import { DAY, dayFloor } from "./lifetime";
import { formatEpoch, parseRfc3339 } from "./time";

/** The rotation settings a program gives (all in whole days). */
export interface RotationSettings {
  /** Issue a new secret this often. */
  everyDays?: number;
  /** Issue a new secret this long before the token's end of life (rolling lifetimes only). */
  beforeEndDays?: number;
  /** How long the old token keeps working after a rotation, for consumers to switch. Default 7; 0 revokes it at once. */
  overlapDays?: number;
}

export const DEFAULT_OVERLAP_DAYS = 7;

/** What check derives for rotation and writes into the inputs (accepted back only when equal, rulings 3). */
export interface RotationPlan {
  generation: number;
  rotateAfter?: string;
  /** Why this generation is new; absent when nothing rotates now. */
  reason?: string;
}

export interface PreviousRotation {
  generation?: number;
  rotateAfter?: string;
  rotation?: RotationSettings;
  rotationTrigger?: string;
}

const sameSettings = (a: RotationSettings | undefined, b: RotationSettings | undefined) =>
  (a?.everyDays ?? null) === (b?.everyDays ?? null) && (a?.beforeEndDays ?? null) === (b?.beforeEndDays ?? null);

/** The next day a rotation falls due, from `from` (the creation or the last rotation). */
export function nextRotation(settings: RotationSettings | undefined, from: number, end: number | undefined): number | undefined {
  const candidates: number[] = [];
  if (settings?.everyDays !== undefined) candidates.push(dayFloor(from + settings.everyDays * DAY));
  if (settings?.beforeEndDays !== undefined && end !== undefined) candidates.push(dayFloor(end - settings.beforeEndDays * DAY));
  return candidates.length ? Math.min(...candidates) : undefined;
}

/**
 * The generation and next due day, from the previous inputs (undefined on a create) and the clock.
 * Enabling rotation, a new release or a changed schedule never rotates by itself (the schedule
 * restarts from today); only a due day that has come, or a new `rotationTrigger` value, makes a
 * new generation.
 * `end` is the lifetime end the token will have (for beforeEndDays); `endAfterRotation` the end a
 * new token would get.
 */
export function deriveRotation(
  previous: PreviousRotation | undefined,
  settings: RotationSettings | undefined,
  trigger: string | undefined,
  now: number,
  end: number | undefined,
  endAfterRotation: number | undefined,
  resealed?: string,
): RotationPlan {
  const start = () => {
    const next = nextRotation(settings, now, end);
    return { generation: 1, rotateAfter: next === undefined ? undefined : formatEpoch(next) };
  };
  // A new token is generation 1, whatever the trigger says.
  if (previous === undefined) return start();
  const tracked = typeof previous.generation === "number";
  const prevGen = tracked ? (previous.generation as number) : 1;
  const prevDue = parseRfc3339(previous.rotateAfter ?? "");
  // A trigger given a new value rotates, its first value on an existing token included.
  // New recipients (sealTo): a sealed secret cannot be sealed again, a new one is issued (rulings 13).
  const triggered = resealed !== undefined || (trigger !== undefined && (previous.rotationTrigger ?? null) !== trigger);
  if (!tracked && !triggered) return start();
  const scheduled = prevDue !== undefined && now >= prevDue && sameSettings(previous.rotation, settings);
  if (triggered || scheduled) {
    const next = nextRotation(settings, now, endAfterRotation);
    const reason = resealed ?? (triggered ? `rotationTrigger changed to "${trigger!.slice(0, 60)}"` : `rotation was due on ${formatEpoch(prevDue!)}`);
    return { generation: prevGen + 1, rotateAfter: next === undefined ? undefined : formatEpoch(next), reason };
  }
  if (!sameSettings(previous.rotation, settings)) {
    const next = nextRotation(settings, now, end);
    return { generation: prevGen, rotateAfter: next === undefined ? undefined : formatEpoch(next) };
  }
  return { generation: prevGen, rotateAfter: previous.rotateAfter };
}

/** The name the current token takes when a rotation moves it aside: names are unique per user. */
export function asideName(name: string, generation: number): string {
  const suffix = `~g${generation}`;
  return `${name.slice(0, 255 - suffix.length)}${suffix}`;
}

/**
 * Why a change of `sealTo` on an existing token issues a new secret (rulings 13), or undefined
 * when the recipients are the same. The provider keeps no plaintext of a sealed secret, and a
 * secret that was in state before sealing has been seen by whoever reads state: neither can be
 * sealed to the new recipients.
 */
export function resealReason(before: readonly string[] | undefined, after: readonly string[] | undefined, same: boolean): string | undefined {
  if (same) return undefined;
  if (!before?.length) return "sealTo was added: this token's secret was not sealed when it was issued and cannot be sealed now (rulings 13), so a new secret is issued and sealed";
  if (!after?.length) return "sealTo was removed: the provider cannot open the sealed secret, so a new secret is issued and kept as a secret output";
  return "sealTo changed: the provider kept no copy of the sealed secret to seal again, so a new secret is issued and sealed to the new recipients";
}
