import { Histogram, Registry } from 'prom-client';

type Label = 'method' | 'route' | 'status_code';

/** Seconds: from a millisecond answer up to a slow bulk import. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The HTTP request latency histogram: by method, route pattern (never the raw URL, whose ids
 * would make a series per resource) and status code.
 */
export class HttpLatency {
  readonly registry = new Registry();
  private readonly histogram = new Histogram<Label>({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending its answer, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [this.registry],
  });

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    this.histogram.observe({ method, route, status_code: statusCode }, seconds);
  }
}
