import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { loadConfig } from './lib/config';
import { match, useRoute } from './hooks/useRoute';
import { useLiveStream, type LiveState } from './hooks/useLiveStream';
import { ErrorBox, Loading } from './components/ui';
import { WalletMenu } from './components/WalletMenu';
import { ChainProviders, useChain, useSigner } from './wallet/context';
import { DilocoJobDetail, DilocoJobs } from './pages/Diloco';
import { Disputes, DisputeDetail } from './pages/Disputes';
import { JobDetail } from './pages/JobDetail';
import { Jobs } from './pages/Jobs';
import { Network, Overview } from './pages/Network';
import { NewJob } from './pages/NewJob';
import { OperatorDetail, Operators } from './pages/Operators';

/** Loads the chain config from the backend, then renders the app inside the wallet providers. */
export function Bootstrap() {
  const config = useQuery({ queryKey: ['config'], queryFn: loadConfig, staleTime: Infinity, retry: 2 });
  if (config.isLoading) {
    return (
      <div className="boot">
        <Loading label="Connecting to the Tribunal API…" />
      </div>
    );
  }
  if (config.isError || !config.data) {
    return (
      <div className="boot">
        <h1>Tribunal</h1>
        <ErrorBox error={config.error} title="Cannot load the dashboard's configuration" retry={() => void config.refetch()} />
      </div>
    );
  }
  return (
    <ChainProviders config={config.data}>
      <App />
    </ChainProviders>
  );
}

const NAV = [
  { href: '#/', label: 'Overview', match: (p: string) => p === '/' },
  { href: '#/jobs', label: 'Jobs', match: (p: string) => p.startsWith('/jobs') },
  { href: '#/new', label: 'New job', match: (p: string) => p === '/new' },
  { href: '#/diloco', label: 'DiLoCo', match: (p: string) => p.startsWith('/diloco') },
  { href: '#/disputes', label: 'Disputes', match: (p: string) => p.startsWith('/disputes') },
  { href: '#/operators', label: 'Operators', match: (p: string) => p.startsWith('/operators') },
  { href: '#/network', label: 'Network', match: (p: string) => p === '/network' },
];

function LiveBadge({ state }: { state: LiveState }) {
  const text = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting' : 'Offline';
  return (
    <span className={`live live-${state}`} role="status" aria-label={`Live updates: ${text.toLowerCase()}`} title="Live updates from the API's event stream">
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/') return <Overview />;
  if (path === '/jobs') return <Jobs />;
  if (path === '/new') return <NewJob />;
  if ((m = match('/jobs/:id', path)) && /^[0-9]+$/.test(m.id)) return <JobDetail key={m.id} id={Number(m.id)} />;
  if (path === '/diloco') return <DilocoJobs />;
  if ((m = match('/diloco/:id', path)) && /^[0-9]+$/.test(m.id)) return <DilocoJobDetail key={m.id} id={Number(m.id)} />;
  if (path === '/disputes') return <Disputes />;
  if ((m = match('/disputes/:id', path)) && /^[0-9]+$/.test(m.id)) return <DisputeDetail key={m.id} id={Number(m.id)} />;
  if (path === '/operators') return <Operators />;
  if ((m = match('/operators/:address', path)) && /^0x[0-9a-fA-F]{40}$/.test(m.address)) return <OperatorDetail key={m.address} address={m.address} />;
  if (path === '/network') return <Network />;
  return (
    <div className="page">
      <h1 tabIndex={-1} id="page-heading">
        Page not found
      </h1>
      <p>
        Nothing lives at <code>{path}</code>. <a href="#/">Go to the overview</a>.
      </p>
    </div>
  );
}

export function App() {
  const path = useRoute();
  const live = useLiveStream();
  const { config } = useChain();
  const signer = useSigner();
  const [menuOpen, setMenuOpen] = useState(false);
  const first = useRef(true);

  // Move focus to the new page's heading on navigation (not on first load), for keyboard and
  // screen-reader users; close the mobile menu.
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const id = window.setTimeout(() => document.getElementById('page-heading')?.focus(), 50);
    return () => window.clearTimeout(id);
  }, [path]);

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/" aria-label="Tribunal overview">
          <img src="./favicon.svg" alt="" width={28} height={28} />
          <span>Tribunal</span>
        </a>
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
          <span aria-hidden="true">☰</span>
          <span className="sr-only">Menu</span>
        </button>
        <nav id="main-nav" className={`nav ${menuOpen ? 'open' : ''}`} aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={item.match(path) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-right">
          <LiveBadge state={live} />
          {config.chainId === 31337 && <span className="badge tone-info" title="anvil devnet, chain id 31337">devnet</span>}
          <WalletMenu />
        </div>
      </header>
      {signer.source === 'dev' && (
        <div className="dev-banner" role="note">
          Developer mode: signing with anvil test account #{signer.devIndex} ({signer.address}). Its key is public — devnet only.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
      <footer className="footer">
        <span>
          Chain {config.chainId} · market <code>{config.taskMarket}</code>
        </span>
        <a href="#/network">Network status</a>
      </footer>
    </div>
  );
}
