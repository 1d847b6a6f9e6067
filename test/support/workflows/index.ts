// Test-only workflows, one per file, for workers in tests: `workflowsPath: require.resolve(...)`.
export * from './sleepy';
export * from './sleepy-activities';
