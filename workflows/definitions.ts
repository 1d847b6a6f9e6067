/**
 * What the API and the worker share about workflows: their types' names, their business IDs,
 * and (as capabilities arrive) their signals, queries and updates.
 */

export const workflowIds = {
  cleanup: () => 'cleanup',
};

export const scheduleIds = {
  cleanup: 'cleanup',
};

export interface CleanupResult {
  sessionsPurged: number;
}
