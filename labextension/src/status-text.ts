/** What the status bar and the status dialog say about the model (pure, unit-tested). */
import type { IModelStatus } from './protocol';
import type { ILatencyReport } from './tokens';

/** One line of text for a status, e.g. "Spark: pulling 40%" or "Spark ✓ 12 ms". */
export function statusText(status: IModelStatus | null, latency: ILatencyReport | null): string {
  if (!status) {
    return 'Spark: …';
  }
  switch (status.state) {
    case 'ready':
      return latency ? `Spark ✓ ${Math.round(latency.firstChunkMs)} ms` : 'Spark ✓';
    case 'pulling':
      return `Spark: pulling ${Math.round(status.percent)}%`;
    case 'error':
      return 'Spark: error';
    default:
      return `Spark: ${status.state}`;
  }
}

export function statusTooltip(status: IModelStatus | null, latency: ILatencyReport | null): string {
  if (!status) {
    return 'jupyter-spark: waiting for the server';
  }
  const lines = [`Model: ${status.model ?? 'none'} (${status.state})`];
  if (status.error) {
    lines.push(`Error: ${status.error}`);
  }
  if (latency) {
    lines.push(`Last suggestion: first text after ${latency.firstChunkMs.toFixed(1)} ms`);
    if (latency.serverTtftMs !== undefined) {
      lines.push(`Server time to first token: ${latency.serverTtftMs.toFixed(1)} ms`);
    }
  }
  const p50 = status.latency?.ttft_ms.p50;
  if (p50 !== null && p50 !== undefined) {
    lines.push(`Server TTFT p50: ${p50.toFixed(1)} ms over ${status.latency!.requests} requests`);
  }
  return lines.join('\n');
}
