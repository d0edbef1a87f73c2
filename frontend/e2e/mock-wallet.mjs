// An EIP-6963 wallet for the e2e test, injected before the page loads: it announces itself on
// `eip6963:requestProvider` like a browser extension would, and forwards every request to the
// devnet's RPC, where anvil's accounts are unlocked (so eth_sendTransaction signs there).
// Nothing of it ships in the dashboard.

/** The init script (runs in the page); `rpcUrl` and `account` are baked in. */
export function mockWalletScript({ rpcUrl, account, chainId = 31337, name = 'E2E Test Wallet' }) {
  return `(() => {
    const rpcUrl = ${JSON.stringify(rpcUrl)};
    const account = ${JSON.stringify(account.toLowerCase())};
    const chainIdHex = '0x' + (${Number(chainId)}).toString(16);
    const listeners = {};
    let id = 0;
    let connected = false;
    window.__mockWalletRequests = [];
    const provider = {
      isMockWallet: true,
      async request({ method, params }) {
        window.__mockWalletRequests.push(method);
        switch (method) {
          case 'eth_requestAccounts':
            connected = true;
            (listeners.connect || []).forEach((fn) => fn({ chainId: chainIdHex }));
            return [account];
          case 'eth_accounts':
            return connected ? [account] : [];
          case 'eth_chainId':
            return chainIdHex;
          case 'net_version':
            return String(${Number(chainId)});
          case 'wallet_switchEthereumChain':
          case 'wallet_addEthereumChain':
            return null;
          case 'wallet_requestPermissions':
            connected = true;
            return [{ parentCapability: 'eth_accounts' }];
          case 'wallet_getPermissions':
            return connected ? [{ parentCapability: 'eth_accounts' }] : [];
          case 'wallet_revokePermissions':
            connected = false;
            return null;
        }
        const response = await fetch(rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params || [] }),
        });
        const body = await response.json();
        if (body.error) {
          const error = new Error(body.error.message);
          error.code = body.error.code;
          error.data = body.error.data;
          throw error;
        }
        return body.result;
      },
      on(event, fn) {
        (listeners[event] = listeners[event] || []).push(fn);
        return provider;
      },
      removeListener(event, fn) {
        listeners[event] = (listeners[event] || []).filter((f) => f !== fn);
        return provider;
      },
    };
    const info = {
      uuid: '7f0c2c1e-6a0e-4d0b-9d0a-000000000e2e',
      name: ${JSON.stringify(name)},
      icon: 'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 viewBox=%220 0 16 16%22%3E%3Crect width=%2216%22 height=%2216%22 rx=%223%22 fill=%22%232563c9%22/%3E%3C/svg%3E',
      rdns: 'org.tribunal.e2e-wallet',
    };
    const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
    window.addEventListener('eip6963:requestProvider', announce);
    announce();
  })();`;
}
