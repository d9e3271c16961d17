// One message as a list item: avatar or hover time, author and time, the quoted
// message it replies to, its text as safe Markdown (long ones collapsed behind
// "Show more"), "(edited)", files, reactions, and (in the live timeline) its
// actions. The item is focusable and named "author, time: text" for screen
// readers, instead of the run-on text of its parts.
import { messageText } from '../../../protocol/attachment-text.js';
import type { ReplyPreview } from '../../../protocol/changes.js';
import { mentionsUser } from '../../../protocol/mentions.js';
import type { LiveMessage } from '../../live-types.js';
import { type Child, h, icon } from '../dom.js';
import { formatFull, formatTime, parseTimestamp } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import { attachmentList } from './attachments.js';
import { avatar } from './avatar.js';
import {
  actionToolbar,
  type MessageActionHandlers,
  onLongPress,
  openActionMenu,
} from './message-actions.js';
import { reactionRow } from './reactions.js';

/** Messages longer than this (characters or lines) start collapsed. */
const COLLAPSE_CHARS = 700;
const COLLAPSE_LINES = 12;
/**
 * The text of each rendered body with its blocks apart: the accessible name must
 * read "Steps: pull, run", which textContent would run together.
 */
const plainText = new WeakMap<Element, string>();
/** How much of the text goes into the item's accessible name. */
const NAME_CHARS = 240;

export interface MessageItemOptions {
  /** The reader, for mention highlighting (and own reactions, with `actions`). */
  me?: string;
  /** The live timeline's actions; absent in read-only lists. */
  actions?: MessageActionHandlers;
  /** Shown instead of the text while the reader edits it. */
  editor?: HTMLElement | null;
  /** Our own change to it is still on its way (shown dimmed with a note). */
  saving?: boolean;
  /** Id of the element that explains the keyboard (described-by). */
  hintId?: string;
  /**
   * A redraw of a message already shown (changed, or ours being saved): the log's
   * live region must not read it out again as if it were new.
   */
  redraw?: boolean;
}

export function messageEl(
  m: LiveMessage,
  at: Date,
  own: boolean,
  cont: boolean,
  opts: MessageItemOptions = {},
): HTMLElement {
  const me = opts.me ?? opts.actions?.me;
  const mentioned = me !== undefined && !own && mentionsUser(m.mentions, me);
  const body = opts.editor ?? messageBody(m, me);
  const edited = m.edited_at ? editedEl(m.edited_at) : null;
  const a = opts.actions;
  const el = h(
    'article',
    {
      class: `msg${own ? ' msg-own' : ''}${cont ? ' msg-cont' : ''}${mentioned ? ' msg-mentioned' : ''}${opts.saving ? ' msg-saving' : ''}`,
      'data-testid': 'message',
      'data-seq': String(m.seq),
      'data-id': m.id,
      'data-username': m.username,
      tabindex: a ? '-1' : null,
      'aria-describedby': opts.hintId ?? null,
      'aria-live': opts.redraw ? 'off' : null,
    },
    h(
      'div',
      { class: 'msg-gutter' },
      cont
        ? h(
            'time',
            {
              class: 'msg-time msg-time-hover',
              datetime: at.toISOString(),
              title: formatFull(at),
              'aria-hidden': 'true',
            },
            formatTime(at),
          )
        : avatar(m.username),
    ),
    h(
      'div',
      { class: 'msg-main' },
      cont
        ? null
        : h(
            'div',
            { class: 'msg-head', 'aria-hidden': 'true' },
            h('span', { class: 'msg-author', 'data-testid': 'message-author' }, m.username),
            own ? h('span', { class: 'badge' }, 'you') : null,
            h(
              'time',
              { class: 'msg-time', datetime: at.toISOString(), title: formatFull(at) },
              formatTime(at),
            ),
          ),
      m.reply_to ? replyQuote(m.reply_to, a) : null,
      body,
      opts.editor ? null : edited,
      opts.saving
        ? h('div', { class: 'msg-status', 'data-testid': 'change-pending' }, 'Saving…')
        : null,
      a
        ? reactionRow(m.reactions ?? [], {
            me: a.me,
            toggle: (emoji, on) => a.toggleReaction(m, emoji, on),
            add: (anchor) => a.pickReaction(m, anchor),
          })
        : reactionRow(m.reactions ?? [], { me: me ?? '' }),
    ),
    a && !opts.editor ? actionToolbar(m, a) : null,
  );
  el.setAttribute('aria-label', accessibleName(m, at, el, edited !== null));
  if (a) {
    onLongPress(el, () => openActionMenu(m, a, el));
  }
  return el;
}

/** "alice, 10:42: the text (edited)", so each item reads as one sentence. */
function accessibleName(m: LiveMessage, at: Date, el: HTMLElement, edited: boolean): string {
  const content = el.querySelector<HTMLElement>('.msg-content');
  let text = ((content && plainText.get(content)) ?? content?.textContent ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length > NAME_CHARS) text = `${text.slice(0, NAME_CHARS)}…`;
  const files = m.attachments?.length
    ? `${m.attachments.length} file${m.attachments.length === 1 ? '' : 's'}`
    : '';
  const reply = m.reply_to ? ` (reply to ${m.reply_to.username})` : '';
  const parts = [text, files].filter((p) => p !== '').join(', ');
  return `${m.username}${reply}, ${formatTime(at)}: ${parts}${edited ? ' (edited)' : ''}`;
}

function editedEl(iso: string): HTMLElement {
  const at = parseTimestamp(iso);
  return h(
    'span',
    {
      class: 'msg-edited',
      title: `Edited ${formatFull(at)}`,
      'data-testid': 'message-edited',
    },
    '(edited)',
  );
}

/** The quoted original; a click (or Enter) jumps to it. */
export function replyQuote(p: ReplyPreview, a: MessageActionHandlers | undefined): HTMLElement {
  const inner: Child = [
    icon('reply', 'msg-reply-icon'),
    h('span', { class: 'msg-reply-author' }, p.username),
    h(
      'span',
      { class: 'msg-reply-text' },
      p.deleted ? 'Original message deleted' : p.excerpt || '…',
    ),
  ];
  if (p.deleted || !a) {
    return h(
      'div',
      {
        class: `msg-reply${p.deleted ? ' msg-reply-deleted' : ''}`,
        'data-testid': 'reply-preview',
      },
      inner,
    );
  }
  return h(
    'button',
    {
      type: 'button',
      class: 'msg-reply',
      'data-testid': 'reply-preview',
      'aria-label': `Replying to ${p.username}: ${p.excerpt}. Show the original`,
      on: {
        click: (ev) => {
          ev.stopPropagation();
          a.jumpTo(p.seq);
        },
      },
    },
    inner,
  );
}

/** The text (without the lines naming files, which are for clients without attachments) and the files. */
function messageBody(m: LiveMessage, me: string | undefined): Child {
  const text = m.attachments?.length ? messageText(m.content, m.attachments) : m.content;
  return [
    text === '' ? null : contentEl(text, me),
    m.attachments?.length ? attachmentList(m.attachments) : null,
  ];
}

function contentEl(text: string, me: string | undefined): Child {
  const content = h('div', { class: 'msg-content md', 'data-testid': 'message-content' });
  const md = renderMarkdown(text, { me });
  content.appendChild(md.fragment);
  plainText.set(content, md.text);
  const long = text.length > COLLAPSE_CHARS || text.split('\n').length > COLLAPSE_LINES;
  if (!long) return content;
  content.classList.add('msg-collapsed');
  const more = h(
    'button',
    {
      type: 'button',
      class: 'link-btn msg-more',
      'aria-expanded': 'false',
      'data-testid': 'show-more',
    },
    'Show more',
  );
  more.addEventListener('click', (ev) => {
    ev.stopPropagation();
    const open = content.classList.toggle('msg-collapsed') === false;
    more.setAttribute('aria-expanded', String(open));
    more.textContent = open ? 'Show less' : 'Show more';
  });
  return [content, more];
}
