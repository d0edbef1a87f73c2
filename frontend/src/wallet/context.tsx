// The chain and the account that signs: an EIP-6963 wallet (any injected wallet announces itself;
// wagmi discovers it) or, on a devnet (chain id 31337) only, one of anvil's well-known developer
// accounts, signed locally with viem so no extension is needed.

import { useQuery } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  createWalletClient,
  http,
  parseEventLogs,
  type Abi,
  type Chain,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { createConfig, WagmiProvider, useAccount, useConnect, useConnectors, useDisconnect, type Config, type Connector } from 'wagmi';
import { getWalletClient, switchChain } from 'wagmi/actions';
import { injected } from 'wagmi/connectors';
import { DEVNET_CHAIN_ID, devAccounts, makeChain, makePublicClient } from '../lib/chain';
import type { AppConfig } from '../lib/config';
import { explainError } from '../lib/errors';
import { ChainClockOffset, clockOffset } from '../hooks/useNow';

interface ChainContextValue {
  config: AppConfig;
  chain: Chain;
  publicClient: PublicClient;
  wagmiConfig: Config;
}

const ChainContext = createContext<ChainContextValue | null>(null);

export function useChain(): ChainContextValue {
  const value = useContext(ChainContext);
  if (!value) throw new Error('useChain outside <ChainProviders>');
  return value;
}

export function ChainProviders({ config, children }: { config: AppConfig; children: ReactNode }) {
  const value = useMemo(() => {
    const chain = makeChain(config.chainId, config.rpcUrl, config.explorerUrl);
    const publicClient = makePublicClient(chain);
    const wagmiConfig = createConfig({
      chains: [chain],
      transports: { [chain.id]: http(config.rpcUrl) },
      // EIP-6963 discovery (on by default) lists every wallet that announces itself; `injected()` is
      // the fallback for an old wallet that only sets window.ethereum.
      multiInjectedProviderDiscovery: true,
      connectors: [injected({ shimDisconnect: true })],
      ssr: false,
    });
    return { config, chain, publicClient, wagmiConfig };
  }, [config]);
  // A devnet's clock may have been warped ahead (evm_increaseTime): follow the latest block so
  // countdowns and "can finalise now" use the chain's time, not this computer's.
  const offset = useQuery({
    queryKey: ['chain-clock', config.rpcUrl],
    queryFn: async () => {
      const block = await value.publicClient.getBlock({ blockTag: 'latest' });
      return clockOffset(Number(block.timestamp), Date.now() / 1000);
    },
    refetchInterval: 15_000,
    retry: false,
  });
  return (
    <WagmiProvider config={value.wagmiConfig} reconnectOnMount>
      <ChainContext.Provider value={value}>
        <ChainClockOffset.Provider value={offset.data ?? 0}>
          <SignerProvider>{children}</SignerProvider>
        </ChainClockOffset.Provider>
      </ChainContext.Provider>
    </WagmiProvider>
  );
}

// ---------------------------------------------------------------- the signer

export interface ContractCall {
  address: `0x${string}`;
  abi: Abi | readonly unknown[];
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
}

export interface Sent {
  hash: Hash;
  /** The simulated return value (e.g. postTask's task id). */
  result: unknown;
}

interface SignerValue {
  /** The account that will sign, if any. */
  address: `0x${string}` | null;
  source: 'dev' | 'wallet' | null;
  /** Developer mode is possible: the chain is a devnet. */
  devAvailable: boolean;
  devIndex: number | null;
  setDevIndex: (index: number | null) => void;
  walletConnectors: readonly Connector[];
  walletName: string | null;
  walletChainId: number | null;
  connecting: boolean;
  connectError: string | null;
  connect: (connector: Connector) => void;
  disconnect: () => void;
  /** Simulates (so a revert is caught and decoded before signing), then signs and sends. */
  send: (call: ContractCall) => Promise<Sent>;
  /** Waits for the receipt; throws with the revert reason if the transaction failed on chain. */
  wait: (hash: Hash) => Promise<TransactionReceipt>;
}

const SignerContext = createContext<SignerValue | null>(null);
const DEV_KEY = 'tribunal.devAccount';

export function useSigner(): SignerValue {
  const value = useContext(SignerContext);
  if (!value) throw new Error('useSigner outside <ChainProviders>');
  return value;
}

function loadDevIndex(): number | null {
  try {
    const raw = window.localStorage.getItem(DEV_KEY);
    if (raw === null) return null;
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 && n < 10 ? n : null;
  } catch {
    return null;
  }
}

function SignerProvider({ children }: { children: ReactNode }) {
  const { config, chain, publicClient, wagmiConfig } = useChain();
  const devAvailable = config.chainId === DEVNET_CHAIN_ID;
  const [devIndex, setDevIndexState] = useState<number | null>(() => (devAvailable ? loadDevIndex() : null));
  const account = useAccount();
  const connectors = useConnectors();
  const { connect: wagmiConnect, isPending: connecting, error: connectErrorRaw } = useConnect();
  const { disconnect: wagmiDisconnect } = useDisconnect();

  const setDevIndex = useCallback(
    (index: number | null) => {
      if (!devAvailable) return;
      setDevIndexState(index);
      try {
        if (index === null) window.localStorage.removeItem(DEV_KEY);
        else window.localStorage.setItem(DEV_KEY, String(index));
      } catch {
        /* storage disabled */
      }
    },
    [devAvailable],
  );

  useEffect(() => {
    if (!devAvailable && devIndex !== null) setDevIndexState(null);
  }, [devAvailable, devIndex]);

  // EIP-6963 wallets first; the plain `injected` fallback only when nothing announced itself and
  // window.ethereum exists.
  const walletConnectors = useMemo(() => {
    const announced = connectors.filter((c) => c.id !== 'injected');
    if (announced.length > 0) return announced;
    const hasInjected = typeof window !== 'undefined' && 'ethereum' in window && !!(window as { ethereum?: unknown }).ethereum;
    return hasInjected ? connectors.filter((c) => c.id === 'injected') : [];
  }, [connectors]);

  const dev = devIndex !== null && devAvailable ? devAccounts()[devIndex] : null;
  const address = dev ? dev.address : account.isConnected && account.address ? account.address : null;
  const source: SignerValue['source'] = dev ? 'dev' : address ? 'wallet' : null;

  const send = useCallback(
    async (call: ContractCall): Promise<Sent> => {
      if (dev) {
        const { request, result } = await publicClient.simulateContract({ ...(call as object), account: dev } as never);
        const wallet = createWalletClient({ account: dev, chain, transport: http(config.rpcUrl) });
        const hash = await wallet.writeContract(request as never);
        return { hash, result };
      }
      if (!account.address || !account.isConnected) throw new Error('Connect a wallet first (or, on a devnet, choose a developer account).');
      if (account.chainId !== chain.id) await switchChain(wagmiConfig, { chainId: chain.id });
      const { request, result } = await publicClient.simulateContract({ ...(call as object), account: account.address } as never);
      const wallet = await getWalletClient(wagmiConfig, { chainId: chain.id });
      const hash = await wallet.writeContract(request as never);
      return { hash, result };
    },
    [dev, account.address, account.isConnected, account.chainId, publicClient, chain, config.rpcUrl, wagmiConfig],
  );

  const wait = useCallback(
    async (hash: Hash): Promise<TransactionReceipt> => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 10 * 60_000, pollingInterval: 1000 });
      if (receipt.status === 'reverted') {
        // Replay the call at its block to learn why (the node keeps no revert reason in receipts).
        const tx = await publicClient.getTransaction({ hash });
        try {
          await publicClient.call({ account: tx.from, to: tx.to ?? undefined, data: tx.input, value: tx.value, blockNumber: receipt.blockNumber - 1n });
        } catch (error) {
          throw new Error(`The transaction was mined but reverted: ${explainError(error)}`);
        }
        throw new Error('The transaction was mined but reverted (no reason could be recovered).');
      }
      return receipt;
    },
    [publicClient],
  );

  const value: SignerValue = {
    address,
    source,
    devAvailable,
    devIndex: dev ? devIndex : null,
    setDevIndex,
    walletConnectors,
    walletName: account.connector?.name ?? null,
    walletChainId: account.chainId ?? null,
    connecting,
    connectError: connectErrorRaw ? explainError(connectErrorRaw) : null,
    connect: (connector) => {
      setDevIndex(null);
      wagmiConnect({ connector, chainId: chain.id });
    },
    disconnect: () => {
      if (dev) setDevIndex(null);
      else wagmiDisconnect();
    },
    send,
    wait,
  };
  return <SignerContext.Provider value={value}>{children}</SignerContext.Provider>;
}

/** Decoded events of `abi` in a receipt (e.g. TaskPosted for the new task's id). */
export function eventsOf(abi: Abi | readonly unknown[], receipt: TransactionReceipt, eventName: string) {
  return parseEventLogs({ abi: abi as Abi, logs: receipt.logs, eventName: eventName as never }) as unknown as { args: Record<string, unknown> }[];
}
