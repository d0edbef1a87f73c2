import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { streamUrl } from '../lib/api';

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Follows GET /api/events/stream (Server-Sent Events) and refreshes what changed: chain events
 * refresh every active query (throttled), progress reports the task they belong to. EventSource
 * reconnects by itself; every query also polls slowly, so nothing hangs if the stream drops.
 */
export function useLiveStream(): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  const pending = useRef<number | null>(null);

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('offline');
      return;
    }
    const source = new EventSource(streamUrl({ kinds: 'chain,progress,reorg' }));
    const refreshAll = () => {
      if (pending.current !== null) return;
      pending.current = window.setTimeout(() => {
        pending.current = null;
        void client.invalidateQueries({ refetchType: 'active' });
      }, 300);
    };
    source.onopen = () => setState('live');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('chain', refreshAll);
    source.addEventListener('reorg', refreshAll);
    source.addEventListener('progress', (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as { task_id?: number };
        if (typeof data.task_id === 'number') {
          void client.invalidateQueries({ queryKey: ['task', data.task_id] });
          void client.invalidateQueries({ queryKey: ['progress', data.task_id] });
          void client.invalidateQueries({ queryKey: ['tasks'] });
        }
      } catch {
        refreshAll();
      }
    });
    return () => {
      source.close();
      if (pending.current !== null) window.clearTimeout(pending.current);
      pending.current = null;
    };
  }, [client]);
  return state;
}
