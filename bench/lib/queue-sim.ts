/**
 * The latency an ideal server would give: a FIFO queue with `servers` identical servers, fed at a
 * constant rate, each job taking the service time measured for its input. It is the baseline for a
 * tail-latency figure: a p99/p50 that the inputs' own spread of sizes and the queue already imply,
 * before any real cost (HTTP, messaging, the load generator, other tenants on the cores).
 */
import { percentile } from './report.js';

export interface QueueLatency {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

/**
 * Latencies (wait + service) of `jobs` jobs arriving every 1/rate ms, where rate = utilization · servers
 * / mean service time; job k takes serviceMs[k mod n] (the inputs in turn, as the load generator sends
 * them) and starts on the server that frees first.
 */
export function simulateQueue(
  serviceMs: readonly number[],
  servers: number,
  utilization: number,
  jobs = 100_000,
): QueueLatency {
  if (serviceMs.length === 0 || servers < 1 || !(utilization > 0 && utilization < 1))
    throw new RangeError('simulateQueue needs service times, a server, and a utilization in (0, 1)');
  const mean = serviceMs.reduce((a, b) => a + b, 0) / serviceMs.length;
  const interval = mean / (utilization * servers);
  const free = new Float64Array(servers);
  const latencies = new Float64Array(jobs);
  for (let k = 0; k < jobs; k++) {
    const arrival = k * interval;
    let s = 0;
    for (let i = 1; i < servers; i++) if (free[i]! < free[s]!) s = i;
    const end = Math.max(arrival, free[s]!) + serviceMs[k % serviceMs.length]!;
    free[s] = end;
    latencies[k] = end - arrival;
  }
  latencies.sort();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
  };
}
