// Dialogs that pick accounts: the members of a private room (its owner or an admin
// adds and removes them) and "New direct message". Both list the server's active
// accounts (`GET /api/users`) with a filter field.
import type { AccountsApi, RoomInfo, User, UserRef } from '../../accounts.js';
import { ApiError } from '../../api.js';
import { h, setChildren, uid } from '../dom.js';
import { avatar } from './avatar.js';
import { openModal } from './modal.js';
import { toast } from './toast.js';

function errText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Something went wrong.';
}

function byName(a: UserRef, b: UserRef): number {
  return a.username.localeCompare(b.username);
}

/** A text field that filters a list by username, case-insensitively. */
function filterField(label: string, onInput: (q: string) => void): HTMLElement {
  const id = uid('filter');
  const input = h('input', {
    id,
    type: 'search',
    class: 'input',
    placeholder: 'Filter by name',
    autocomplete: 'off',
    'data-testid': 'people-filter',
    on: { input: () => onInput(input.value.trim().toLocaleLowerCase()) },
  });
  return h(
    'div',
    { class: 'people-filter' },
    h('label', { for: id, class: 'label' }, label),
    input,
  );
}

function personRow(u: UserRef, me: User, extra: (Node | null)[], action: Node | null): Element {
  return h(
    'li',
    { class: 'person', 'data-testid': 'person', 'data-username': u.username },
    avatar(u.username, 'sm'),
    h('span', { class: 'person-name' }, u.username),
    u.id === me.id ? h('span', { class: 'badge' }, 'you') : null,
    extra,
    action,
  );
}

/** The members dialog of a private room (its owner or an admin adds and removes people). */
export function membersDialog(opts: {
  room: RoomInfo;
  roomName: string;
  me: User;
  accounts: AccountsApi;
}): void {
  const { room, me, accounts } = opts;
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'members-error' });
  const memberList = h('ul', { class: 'people-list', 'data-testid': 'room-members' });
  const candidateList = h('ul', { class: 'people-list', 'data-testid': 'add-candidates' });
  const memberCount = h('span', { class: 'count-badge' }, '…');
  let members: UserRef[] = [];
  let everyone: UserRef[] = [];
  let query = '';

  const render = () => {
    memberCount.textContent = String(members.length);
    const ids = new Set(members.map((m) => m.id));
    setChildren(
      memberList,
      [...members].sort(byName).map((m) => {
        const owner = m.id === room.owner_id;
        return personRow(
          m,
          me,
          [owner ? h('span', { class: 'badge badge-muted' }, 'owner') : null],
          owner
            ? null
            : h(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-small btn-ghost person-action',
                  'aria-label': `Remove ${m.username} from ${opts.roomName}`,
                  'data-testid': 'remove-member',
                  on: { click: () => void change('remove', m) },
                },
                'Remove',
              ),
        );
      }),
    );
    const candidates = everyone
      .filter((u) => !ids.has(u.id) && u.username.toLocaleLowerCase().includes(query))
      .sort(byName);
    setChildren(
      candidateList,
      candidates.length === 0
        ? h(
            'li',
            { class: 'people-empty' },
            everyone.length === 0 ? 'Loading…' : 'Nobody else to add.',
          )
        : candidates.map((u) =>
            personRow(
              u,
              me,
              [],
              h(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-small person-action',
                  'aria-label': `Add ${u.username} to ${opts.roomName}`,
                  'data-testid': 'add-member',
                  on: { click: () => void change('add', u) },
                },
                'Add',
              ),
            ),
          ),
    );
  };

  const change = async (what: 'add' | 'remove', u: UserRef) => {
    status.textContent = '';
    try {
      if (what === 'add') await accounts.addMember(room.id, u.id);
      else await accounts.removeMember(room.id, u.id);
      members = what === 'add' ? [...members, u] : members.filter((m) => m.id !== u.id);
      render();
      toast(
        what === 'add'
          ? `${u.username} can now see ${opts.roomName}.`
          : `${u.username} was removed from ${opts.roomName}.`,
        'info',
      );
      // The button that was clicked is gone: keep focus inside the dialog.
      modal.dialog.querySelector<HTMLElement>('[data-testid="people-filter"]')?.focus();
    } catch (err) {
      status.textContent = errText(err);
    }
  };

  const modal = openModal({
    title: `Members of “${opts.roomName}”`,
    description: 'Only members can see this private room and its messages.',
    testid: 'members-dialog',
    wide: true,
    content: [
      status,
      h('h3', { class: 'people-heading' }, 'Members ', memberCount),
      memberList,
      h('h3', { class: 'people-heading' }, 'Add people'),
      filterField('Find a person', (q) => {
        query = q;
        render();
      }),
      candidateList,
    ],
  });
  render();
  void Promise.all([accounts.members(room.id), accounts.users()]).then(
    ([m, all]) => {
      members = m;
      everyone = all;
      render();
    },
    (err: unknown) => {
      status.textContent = errText(err);
    },
  );
}

/** "New direct message": pick a person; resolves through `onOpen` with the DM room. */
export function newDmDialog(opts: {
  me: User;
  accounts: AccountsApi;
  onOpen: (room: RoomInfo) => void;
}): void {
  const { me, accounts } = opts;
  const status = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'dm-error' });
  const list = h('ul', { class: 'people-list', 'data-testid': 'dm-candidates' });
  let everyone: UserRef[] | null = null;
  let query = '';
  let busy = false;

  const render = () => {
    if (everyone === null) {
      setChildren(list, h('li', { class: 'people-empty' }, 'Loading…'));
      return;
    }
    const shown = everyone
      .filter((u) => u.id !== me.id && u.username.toLocaleLowerCase().includes(query))
      .sort(byName);
    setChildren(
      list,
      shown.length === 0
        ? h(
            'li',
            { class: 'people-empty' },
            everyone.length <= 1 ? 'Nobody else has an account yet.' : 'No match.',
          )
        : shown.map((u) =>
            h(
              'li',
              { class: 'person person-pick', 'data-testid': 'person', 'data-username': u.username },
              h(
                'button',
                {
                  type: 'button',
                  class: 'person-button',
                  'data-testid': 'dm-pick',
                  on: { click: () => void pick(u) },
                },
                avatar(u.username, 'sm'),
                h('span', { class: 'person-name' }, u.username),
                h('span', { class: 'person-go', 'aria-hidden': 'true' }, 'Message'),
              ),
            ),
          ),
    );
  };

  const pick = async (u: UserRef) => {
    if (busy) return;
    busy = true;
    status.textContent = '';
    try {
      const room = await accounts.openDm(u.id);
      modal.close();
      opts.onOpen(room);
    } catch (err) {
      status.textContent = errText(err);
    } finally {
      busy = false;
    }
  };

  const filter = filterField('Find a person', (q) => {
    query = q;
    render();
  });
  const modal = openModal({
    title: 'New direct message',
    description: 'A private conversation between the two of you.',
    testid: 'dm-dialog',
    content: [status, filter, list],
  });
  filter.querySelector('input')?.focus();
  render();
  accounts.users().then(
    (all) => {
      everyone = all;
      render();
    },
    (err: unknown) => {
      everyone = [];
      render();
      status.textContent = errText(err);
    },
  );
}
