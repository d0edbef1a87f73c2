import { createContext, useContext, useEffect, useState } from 'react';

/**
 * Seconds the chain's clock runs ahead of this computer's (a devnet whose time was warped with
 * evm_increaseTime; about 0 on a real chain). Provided by <ChainProviders> from the latest block.
 */
export const ChainClockOffset = createContext(0);

/**
 * The chain's current unix time as best known (wall clock plus the chain's lead), re-rendering every
 * `intervalMs` — for countdowns, clocks and what may be done now (finalise, expire).
 */
export function useNow(intervalMs = 1000): number {
  const offset = useContext(ChainClockOffset);
  const [wall, setWall] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const id = window.setInterval(() => setWall(Date.now() / 1000), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return wall + offset;
}

/** The chain's lead over the wall clock from a block's timestamp (never negative: blocks lag). */
export function clockOffset(blockTimestamp: number, wallNow: number): number {
  return Math.max(0, Math.round(blockTimestamp - wallNow));
}
