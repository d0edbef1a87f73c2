// Where the dashboard finds the chain: GET /api/config; from an older backend without it (404 or
// 405), the followed contracts and chain id from GET /api/indexer and an RPC URL from
// the build (VITE_TRIBUNAL_RPC_URL), a saved override, or anvil's default.

import { ApiError, api, type DeployParams } from './api';
import { isAddress } from './format';

export interface AppConfig {
  chainId: number;
  rpcUrl: string;
  taskMarket: `0x${string}`;
  stakeManager: `0x${string}`;
  disputeGame: `0x${string}` | null;
  explorerUrl: string | null;
  /** The contracts' deploy-time parameters; none from an older backend (`challenger_bond` is wei, a string). */
  params: DeployParams;
  /** Where this came from, shown on the Network page. */
  source: 'api/config' | 'api/indexer';
  /** The RPC URL was overridden in this browser. */
  rpcOverridden: boolean;
}

export const RPC_OVERRIDE_KEY = 'tribunal.rpcUrl';
export const DEFAULT_RPC_URL: string = (import.meta.env?.VITE_TRIBUNAL_RPC_URL as string | undefined) ?? 'http://127.0.0.1:8545';

export function savedRpcUrl(): string | null {
  try {
    return window.localStorage.getItem(RPC_OVERRIDE_KEY);
  } catch {
    return null;
  }
}

export function saveRpcUrl(url: string | null): void {
  try {
    if (url) window.localStorage.setItem(RPC_OVERRIDE_KEY, url);
    else window.localStorage.removeItem(RPC_OVERRIDE_KEY);
  } catch {
    /* storage disabled */
  }
}

/** Contract addresses from the indexer's {address: name} map. */
export function contractsFromIndexer(contracts: Record<string, string>): Record<string, `0x${string}`> {
  const out: Record<string, `0x${string}`> = {};
  for (const [address, name] of Object.entries(contracts)) {
    if (isAddress(address)) out[name] = address as `0x${string}`;
    else if (isAddress(name)) out[address] = name as `0x${string}`; // tolerate {name: address}
  }
  return out;
}

export async function loadConfig(): Promise<AppConfig> {
  const override = savedRpcUrl();
  try {
    const c = await api.config();
    const chainId = Number(c.chain_id);
    if (!c.contracts?.task_market || !c.contracts?.stake_manager) throw new Error('GET /api/config has no contract addresses');
    return {
      chainId,
      rpcUrl: override ?? c.rpc_url ?? DEFAULT_RPC_URL,
      taskMarket: c.contracts.task_market as `0x${string}`,
      stakeManager: c.contracts.stake_manager as `0x${string}`,
      disputeGame: (c.contracts.dispute_game as `0x${string}` | null) ?? null,
      explorerUrl: c.explorer_url ?? null,
      params: c.params ?? {},
      source: 'api/config',
      rpcOverridden: !!override,
    };
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
  }
  const indexer = await api.indexer();
  const contracts = contractsFromIndexer(indexer.contracts ?? {});
  if (indexer.chain_id === null || !contracts.TaskMarket || !contracts.StakeManager) {
    throw new Error(
      'The API does not know the deployment yet (GET /api/config is missing and /api/indexer lists no TaskMarket): ' +
        'is the backend running with TRIBUNAL_DEPLOYMENT / TRIBUNAL_RPC_URL set, and has the indexer started?',
    );
  }
  return {
    chainId: indexer.chain_id,
    rpcUrl: override ?? DEFAULT_RPC_URL,
    taskMarket: contracts.TaskMarket,
    stakeManager: contracts.StakeManager,
    disputeGame: contracts.DisputeGame ?? null,
    explorerUrl: null,
    params: {},
    source: 'api/indexer',
    rpcOverridden: !!override,
  };
}
