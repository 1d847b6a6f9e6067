/** One metric family of the Prometheus text exposition format 0.0.4. */
export interface MetricFamily {
  name: string;
  help?: string;
  type: 'counter' | 'gauge';
  samples: { labels: Record<string, string>; value: number }[];
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export const escapeLabelValue = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabelValue(String(labels[k]))}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/**
 * The families as Prometheus text. A name or label name Prometheus could not parse would fail
 * the whole scrape, so such a family or sample is left out rather than written.
 */
export function exposition(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) continue;
    if (family.help !== undefined) lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    const samples = family.samples
      .filter((s) => Object.keys(s.labels).every((k) => LABEL_NAME.test(k)))
      .map((s) => `${family.name}${formatLabels(s.labels)} ${formatValue(s.value)}`)
      .sort();
    lines.push(...samples);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
