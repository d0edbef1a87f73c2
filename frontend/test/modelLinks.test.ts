import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ModelLinks } from '../src/components/ModelLinks';
import type { ModelCheck } from '../src/lib/api';

const HASH = `0x${'ab'.repeat(32)}`;

function check(changes: Partial<ModelCheck> = {}): ModelCheck {
  return {
    task_id: 7,
    status: 'matches',
    mismatch: null,
    detail: 'the file matches',
    trace_root: HASH,
    final_state_root: HASH,
    model_hash: HASH,
    download_url: `/api/artifacts/${HASH}`,
    safetensors_url: '/api/tasks/7/model/safetensors',
    ...changes,
  };
}

describe('the trained model links', () => {
  it('offers the safetensors file first and the checkpoint second', () => {
    const html = renderToStaticMarkup(createElement(ModelLinks, { taskId: 7, check: check() }));
    expect(html).toContain('href="/api/tasks/7/model/safetensors"');
    expect(html).toContain('download="task-7.safetensors"');
    expect(html).toContain('Download the trained model (safetensors)');
    expect(html.indexOf('model-download')).toBeLessThan(html.indexOf('checkpoint-download'));
    expect(html).toContain(`href="/api/artifacts/${HASH}"`);
    expect(html).toContain('tribunal.models.to_torch');
  });
  it('keeps the checkpoint link when the server offers no safetensors file', () => {
    const html = renderToStaticMarkup(createElement(ModelLinks, { taskId: 7, check: check({ safetensors_url: null }) }));
    expect(html).not.toContain('data-testid="model-download"');
    expect(html).toContain('data-testid="checkpoint-download"');
  });
});
