// The chain as the dashboard sees it: a viem chain from the backend's config, a public client,
// anvil's well-known developer accounts, and the ABIs with every custom error merged in (so a revert
// from any contract in the call, e.g. StakeManager under TaskMarket.claim, decodes).

import { createPublicClient, defineChain, http, type Chain, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { disputeGameAbi } from '../abi/DisputeGame';
import { errorsAbi } from '../abi/errors';
import { stakeManagerAbi } from '../abi/StakeManager';
import { taskMarketAbi } from '../abi/TaskMarket';

export const DEVNET_CHAIN_ID = 31337;

/** anvil's default accounts (mnemonic "test test … junk"): public keys, for devnets only. */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const;

/** What the devnet script uses each account for (deploy/devnet.py). */
export const ANVIL_ROLES = ['deployer', 'submitter', 'operator', 'verifier'];

let accounts: PrivateKeyAccount[] | null = null;
export function devAccounts(): PrivateKeyAccount[] {
  accounts ??= ANVIL_KEYS.map((key) => privateKeyToAccount(key));
  return accounts;
}

export const marketAbi = [...taskMarketAbi, ...errorsAbi.filter((e) => !taskMarketAbi.some((x) => x.type === 'error' && x.name === e.name))] as const;
export const gameAbi = [...disputeGameAbi, ...errorsAbi.filter((e) => !disputeGameAbi.some((x) => x.type === 'error' && x.name === e.name))] as const;
export const stakeAbi = [...stakeManagerAbi, ...errorsAbi.filter((e) => !stakeManagerAbi.some((x) => x.type === 'error' && x.name === e.name))] as const;

export function makeChain(chainId: number, rpcUrl: string, explorerUrl?: string | null): Chain {
  return defineChain({
    id: chainId,
    name: chainId === DEVNET_CHAIN_ID ? 'Tribunal devnet (anvil)' : `Tribunal chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    blockExplorers: explorerUrl ? { default: { name: 'Explorer', url: explorerUrl } } : undefined,
    testnet: chainId === DEVNET_CHAIN_ID,
  });
}

export function makePublicClient(chain: Chain): PublicClient {
  return createPublicClient({ chain, transport: http(chain.rpcUrls.default.http[0], { retryCount: 1, timeout: 15_000 }) });
}
