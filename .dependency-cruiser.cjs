/**
 * The layering, checked by `npm test` (`npm run deps`). A folder may import its own rank or
 * lower ranks, never a higher one; type-only imports count, and no import cycle is allowed.
 *
 *   0 lib
 *   1 store, vm, sim
 *   2 meta, workflows/contracts (pure workflow contracts: ids, signals, queries, inputs)
 *   3 domain: one folder per concept
 *   4 activities
 *   5 workflows
 *   6 api, worker
 *   7 scripts
 *   8 bench
 */
const DOMAIN = [
  'inbound',
  'sending',
  'campaigns',
  'sequences',
  'payments',
  'woocommerce',
  'webhooks',
  'actions',
  'contacts',
  'templates',
  'metrics',
  'media',
  'automations',
  'accounts',
];

const folders = (names) => `^(${names.join('|')})/`;
const RANKS = [
  ['lib', ['lib']],
  ['store', ['store', 'vm', 'sim']],
  ['meta', ['meta']],
  ['domain', DOMAIN],
  ['activities', ['activities']],
  ['workflows', ['workflows']],
  ['adapters', ['api', 'worker']],
  ['scripts', ['scripts']],
  ['bench', ['bench']],
];
const CONTRACTS = '^workflows/contracts/';

/** Rank r may not import anything of a higher rank (contracts rank with meta). */
function upwardRules() {
  const rules = [];
  RANKS.forEach(([label, names], rank) => {
    const higher = RANKS.slice(rank + 1).flatMap(([, n]) => n);
    if (!higher.length) return;
    const from = { path: rank === 2 ? `${folders(names)}|${CONTRACTS}` : folders(names) };
    const to = { path: folders(higher) };
    // The contracts rank with meta, below the rest of workflows/.
    if (rank >= 2) to.pathNot = CONTRACTS;
    rules.push({
      name: `no-upward-from-${label}`,
      comment: `${names.join(', ')} (rank ${rank}) must not import a higher layer`,
      severity: 'error',
      from,
      to,
    });
  });
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, type-only imports included',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { circular: true },
    },
    ...upwardRules(),
    {
      name: 'contracts-are-pure',
      comment: 'Workflow contracts import only the workflow SDK and types',
      severity: 'error',
      from: { path: CONTRACTS },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [CONTRACTS, '^node_modules/@temporalio/workflow/'],
      },
    },
    {
      name: 'drivers-only-in-store',
      comment: 'Only store/ talks to a database driver',
      severity: 'error',
      from: { pathNot: '^(store|test|bench|scripts)/' },
      to: { path: '^node_modules/(pg|mongodb)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|test|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
