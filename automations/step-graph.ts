import type { AutomationStep, StepTarget } from '../store/contract/automations';

type GraphStep = Pick<AutomationStep, 'id' | 'type' | 'next'> &
  Partial<{
    branches: { next: StepTarget }[];
    otherwise: StepTarget;
    on_timeout: StepTarget;
    then: StepTarget;
    else: StepTarget;
  }>;

/** Where a step can lead, each with the field that says so; null ends the run. */
export function stepTargets(
  steps: readonly GraphStep[],
  index: number,
): { field: string; target: StepTarget }[] {
  const step = steps[index]!;
  const following = steps[index + 1]?.id ?? null;
  switch (step.type) {
    case 'end':
      return [];
    case 'condition':
      return [
        { field: 'then', target: step.then ?? null },
        { field: 'else', target: step.else ?? null },
      ];
    case 'wait_for_reply':
      return [
        ...(step.branches ?? []).map((b, j) => ({ field: `branches[${j}].next`, target: b.next })),
        { field: 'otherwise', target: step.otherwise === undefined ? following : step.otherwise },
        { field: 'on_timeout', target: step.on_timeout ?? null },
      ];
    default:
      return [{ field: 'next', target: step.next === undefined ? following : step.next }];
  }
}

export type GraphProblem =
  | { kind: 'duplicate'; index: number; first: number }
  | { kind: 'unknown_target'; index: number; field: string; target: string }
  | { kind: 'unreachable'; index: number }
  | { kind: 'cycle'; index: number; loop: string[] };

/**
 * The first thing that keeps the steps from being a graph every run goes through to its end:
 * a duplicate id, a target naming no step, a step the first cannot reach, or a loop.
 */
export function graphProblem(steps: readonly GraphStep[]): GraphProblem | null {
  const indexOf = new Map<string, number>();
  for (const [i, s] of steps.entries()) {
    const first = indexOf.get(s.id);
    if (first !== undefined) return { kind: 'duplicate', index: i, first };
    indexOf.set(s.id, i);
  }
  const next: number[][] = [];
  for (const i of steps.keys()) {
    const out: number[] = [];
    for (const { field, target } of stepTargets(steps, i)) {
      if (target === null) continue;
      const j = indexOf.get(target);
      if (j === undefined) return { kind: 'unknown_target', index: i, field, target };
      out.push(j);
    }
    next.push(out);
  }

  // Depth-first from the first step: grey while on the path, black once done.
  const colour = new Array<'white' | 'grey' | 'black'>(steps.length).fill('white');
  const path: number[] = [];
  const visit = (i: number): GraphProblem | null => {
    colour[i] = 'grey';
    path.push(i);
    for (const j of next[i]!) {
      if (colour[j] === 'grey') {
        const loop = [...path.slice(path.indexOf(j)), j].map((k) => steps[k]!.id);
        return { kind: 'cycle', index: j, loop };
      }
      if (colour[j] === 'white') {
        const found = visit(j);
        if (found) return found;
      }
    }
    path.pop();
    colour[i] = 'black';
    return null;
  };
  const cycle = steps.length ? visit(0) : null;
  if (cycle) return cycle;
  const unreachable = colour.indexOf('white');
  return unreachable < 0 ? null : { kind: 'unreachable', index: unreachable };
}
