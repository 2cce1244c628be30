import { describe, expect, it, vi } from 'vitest';

// The JupyterLab and Lumino parts status.ts uses, reduced to what it needs (no DOM in node).
const reply = { value: null as null | { ok: boolean; body?: unknown } };
vi.mock('@jupyterlab/services', () => ({
  ServerConnection: {
    makeSettings: () => ({ baseUrl: 'http://localhost/' }),
    makeRequest: async () =>
      reply.value ? { ok: reply.value.ok, json: async () => reply.value!.body } : Promise.reject(new Error('down')),
    ResponseError: class extends Error {}
  }
}));
vi.mock('@lumino/widgets', () => ({
  Widget: class {
    node = { dataset: {} as Record<string, string>, title: '', textContent: '', addEventListener() {} };
    isDisposed = false;
    addClass() {}
    dispose() {
      this.isDisposed = true;
    }
  }
}));

import { onceEach, SparkStatus } from './status';

describe('onceEach', () => {
  it('passes each distinct message on once', () => {
    const told: string[] = [];
    const notify = onceEach(m => told.push(m));
    notify('a');
    notify('a');
    notify('b');
    expect(told).toEqual(['a', 'b']);
  });
});

describe('SparkStatus problems', () => {
  it('reports a model that failed to load, with the server error', async () => {
    reply.value = { ok: true, body: { state: 'error', percent: 0, model: null, error: 'no model: run jupyter spark model pull' } };
    const problems: string[] = [];
    const status = new SparkStatus(() => undefined, m => problems.push(m));
    await status.refresh();
    expect(problems[0]).toContain('no model: run jupyter spark model pull');
    expect((status.node as any).dataset.state).toBe('error');
    status.dispose();
  });

  it('reports a server extension that does not answer only after three polls in a row', async () => {
    reply.value = null;
    const problems: string[] = [];
    const status = new SparkStatus(() => undefined, m => problems.push(m));
    await status.refresh(); // the constructor's poll and this one
    expect(problems).toEqual([]);
    await status.refresh();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('jupyter server extension list');
    await status.refresh();
    expect(problems).toHaveLength(1);
    status.dispose();
  });

  it('reports nothing while the model is ready', async () => {
    reply.value = { ok: true, body: { state: 'ready', percent: 100, model: 'm', error: null } };
    const problems: string[] = [];
    const status = new SparkStatus(() => undefined, m => problems.push(m));
    await status.refresh();
    expect(problems).toEqual([]);
    status.dispose();
  });
});
