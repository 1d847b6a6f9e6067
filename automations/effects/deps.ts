import type { ActionRunDeps } from '../../actions/run';
import type { CreatePaymentLinkDeps } from '../../payments/create-link';
import type { MarkReadDeps } from '../../sending/mark-read';
import type { Signals } from '../../store/signals';

/** What a dry run reads: the store (never written) and the sandbox its actions run in. */
export type DryEffectDeps = ActionRunDeps;

/** What carrying out steps takes: the API and the worker both have it. */
export interface EffectDeps extends ActionRunDeps, CreatePaymentLinkDeps, MarkReadDeps {
  signals: Pick<Signals, 'publish'>;
  /** Starts subscribed sequences' runs at once; without it the recovery sweep starts them. */
  kickSequences?: () => void;
}
