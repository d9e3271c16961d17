// What the views of accounts mode need to know about the signed-in account. Views
// get `undefined` in open mode and then behave exactly as before.
import type { AccountsApi, User } from '../accounts.js';

export interface AccountContext {
  user: User;
  accounts: AccountsApi;
  /** The account chip with its menu (account page, administration, sign out). */
  menu: (compact: boolean) => HTMLElement;
}
