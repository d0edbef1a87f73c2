import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';

/**
 * A task's spec from the artifact store, by its hash (the spec hash is keccak256 of the canonical
 * JSON, which is also its content address). Immutable: fetched once, a miss is not retried.
 */
export function useSpec(specHash: string) {
  return useQuery({
    queryKey: ['spec', specHash],
    queryFn: () => api.spec(specHash),
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
    refetchOnMount: false,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}
