import { useEffect, useId, useRef, useState } from 'react';
import { ANVIL_ROLES, devAccounts } from '../lib/chain';
import { shortAddress } from '../lib/format';
import { useChain, useSigner } from '../wallet/context';

/** Header control: connect an EIP-6963 wallet, or on a devnet pick one of anvil's accounts. */
export function WalletMenu() {
  const signer = useSigner();
  const { chain } = useChain();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onClick);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const label = signer.address
    ? `${signer.source === 'dev' ? `Dev #${signer.devIndex}` : signer.walletName ?? 'Wallet'} · ${shortAddress(signer.address)}`
    : 'Connect';
  const wrongChain = signer.source === 'wallet' && signer.walletChainId !== null && signer.walletChainId !== chain.id;

  return (
    <div className="wallet" ref={ref}>
      <button
        type="button"
        className={`button ${signer.address ? 'secondary' : 'primary'}`}
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((o) => !o)}
        data-testid="wallet-button"
      >
        {label}
        {wrongChain && <span className="badge tone-bad">wrong network</span>}
      </button>
      {open && (
        <div className="wallet-menu" id={menuId} role="group" aria-label="Accounts">
          <h2 className="menu-title">Browser wallets</h2>
          {signer.walletConnectors.length === 0 ? (
            <p className="muted small">No wallet found. Install one that supports EIP-6963 (MetaMask, Rabby, Coinbase Wallet, …){signer.devAvailable ? ', or use a developer account below' : ''}.</p>
          ) : (
            <ul className="plain">
              {signer.walletConnectors.map((c) => (
                <li key={c.uid}>
                  <button
                    type="button"
                    className="menu-item"
                    disabled={signer.connecting}
                    onClick={() => {
                      signer.connect(c);
                      setOpen(false);
                    }}
                  >
                    {c.icon && <img src={c.icon} alt="" width={18} height={18} />}
                    {c.name}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {signer.connectError && <p className="field-error">{signer.connectError}</p>}
          {signer.devAvailable && (
            <>
              <h2 className="menu-title">Developer mode (devnet only)</h2>
              <p className="muted small">anvil's public test keys, signed in this page. Never use them on a real network.</p>
              <label className="field compact">
                <span>Developer account</span>
                <select
                  value={signer.devIndex ?? ''}
                  onChange={(e) => signer.setDevIndex(e.target.value === '' ? null : Number(e.target.value))}
                  data-testid="dev-account-select"
                >
                  <option value="">— off —</option>
                  {devAccounts().map((a, i) => (
                    <option key={a.address} value={i}>
                      #{i} {shortAddress(a.address)}
                      {ANVIL_ROLES[i] ? ` (${ANVIL_ROLES[i]})` : ''}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )}
          {signer.address && (
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                signer.disconnect();
                setOpen(false);
              }}
            >
              Disconnect
            </button>
          )}
        </div>
      )}
    </div>
  );
}
