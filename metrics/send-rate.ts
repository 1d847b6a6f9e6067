import type { SendLaneDoc } from '../store/contract/send-queue';

/**
 * What a number is sending now, in messages a second: its lane's last reported rate while
 * someone holds the lane, 0 once it is released or its lease ran out (the owner stopped or
 * died, so its last report says nothing about now).
 */
export function currentSendRate(lane: SendLaneDoc | undefined, now = Date.now()): number {
  if (!lane?.owner || !lane.lease_until || lane.lease_until.getTime() <= now) return 0;
  return Number.isFinite(lane.rate) && lane.rate > 0 ? lane.rate : 0;
}

/** Current send rates by account id. */
export function sendRatesByAccount(lanes: SendLaneDoc[], now = Date.now()): Map<string, number> {
  return new Map(lanes.map((lane) => [lane.account_id, currentSendRate(lane, now)]));
}
