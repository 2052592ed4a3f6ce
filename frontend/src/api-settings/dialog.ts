// What every dialog about one credential takes: the credential, what to do
// with the result, and how to close.
import type { CredentialView } from '../lib/api';

export interface CredentialDialogProps<T> {
  credential: CredentialView;
  ondone: (result: T) => void;
  onclose: () => void;
}
