import { createAction } from '../../actions/definitions';
import { ServiceUnavailableError, ValidationError } from '../../lib/errors';
import type { Store } from '../../store/contract';
import type { RunError } from '../../vm/types';

/** Saving an action: the sandbox's verdict on the code decides the answer; nothing is stored. */
describe('checking an action on save', () => {
  const noStore = {} as Store;
  const save = (problem: RunError | null) =>
    createAction({ store: noStore, sandbox: { check: () => Promise.resolve(problem) } }, 'org', {
      name: 'a',
      code: 'return 1',
    });

  it('answers 503 when the sandbox crashed, not blaming the code', async () => {
    const crashed: RunError = { type: 'crashed', message: 'exited', line: null, column: null };
    await expect(save(crashed)).rejects.toThrow(ServiceUnavailableError);
    await expect(save(crashed)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('answers 400 naming the line and column of a syntax error', async () => {
    const syntax: RunError = { type: 'syntax', message: 'Unexpected token', line: 2, column: 5 };
    await expect(save(syntax)).rejects.toThrow(ValidationError);
    await expect(save(syntax)).rejects.toThrow('code: Unexpected token (line 2, column 5)');
  });
});
