// Files being attached to the message in the composer: each uploads at once, with
// a progress bar and a cancel button; finished ones wait to go with the message.
import { type AttachmentInfo, formatBytes } from '../../../protocol/attachment-text.js';
import { startUpload, type Upload, UploadError } from '../../uploads.js';
import { h, icon, setChildren } from '../dom.js';
import { isInlineImage } from './attachments.js';

type TrayState =
  | { kind: 'uploading'; loaded: number; total: number; upload: Upload }
  | { kind: 'done'; file: AttachmentInfo }
  | { kind: 'failed'; message: string };

interface TrayItem {
  key: number;
  name: string;
  size: number;
  state: TrayState;
}

export interface AttachmentTrayOptions {
  roomId: string;
  /** Most files in one message. */
  max: number;
  /** Something changed (for the send button and announcements). */
  onChange: (announce?: string) => void;
  /** Starts an upload; replaceable in tests. */
  start?: typeof startUpload;
}

let nextKey = 0;

export class AttachmentTray {
  readonly el: HTMLElement;
  private items: TrayItem[] = [];
  private readonly start: typeof startUpload;

  constructor(private readonly opts: AttachmentTrayOptions) {
    this.start = opts.start ?? startUpload;
    this.el = h('ul', {
      class: 'attach-tray',
      'aria-label': 'Files to send',
      'data-testid': 'attach-tray',
      hidden: true,
    });
  }

  /** Uploads each file (beyond the limit of files per message, the rest is refused). */
  add(files: readonly File[]): void {
    for (const file of files) {
      if (this.items.filter((i) => i.state.kind !== 'failed').length >= this.opts.max) {
        this.opts.onChange(`At most ${this.opts.max} files per message.`);
        break;
      }
      // Pasted screenshots come without a useful name.
      const name = file.name || `pasted-${new Date().toISOString().slice(0, 19)}.png`;
      const item: TrayItem = {
        key: nextKey++,
        name,
        size: file.size,
        state: { kind: 'failed', message: '' },
      };
      const upload = this.start(this.opts.roomId, file, name, (p) => {
        if (item.state.kind !== 'uploading') return;
        item.state.loaded = p.loaded;
        item.state.total = p.total;
        this.updateProgress(item);
      });
      item.state = { kind: 'uploading', loaded: 0, total: file.size, upload };
      this.items.push(item);
      upload.done.then(
        (stored) => {
          item.state = { kind: 'done', file: stored };
          this.render();
          this.opts.onChange(`${name} uploaded.`);
        },
        (error: unknown) => {
          if (error instanceof UploadError && error.cancelled) {
            this.items = this.items.filter((i) => i !== item);
            this.render();
            this.opts.onChange(`${name} removed.`);
            return;
          }
          const message = error instanceof Error ? error.message : 'The upload failed.';
          item.state = { kind: 'failed', message };
          this.render();
          this.opts.onChange(`${name} could not be uploaded: ${message}`);
        },
      );
    }
    this.render();
    this.opts.onChange();
  }

  /** True while a file is still uploading. */
  get busy(): boolean {
    return this.items.some((i) => i.state.kind === 'uploading');
  }

  get count(): number {
    return this.items.length;
  }

  /** The uploaded files, in the order they were added. */
  get files(): AttachmentInfo[] {
    return this.items.flatMap((i) => (i.state.kind === 'done' ? [i.state.file] : []));
  }

  /** Forgets every item (after sending), cancelling uploads still running. */
  clear(): void {
    for (const i of this.items) if (i.state.kind === 'uploading') i.state.upload.cancel();
    this.items = [];
    this.render();
  }

  private remove(item: TrayItem): void {
    if (item.state.kind === 'uploading') {
      item.state.upload.cancel(); // the rejection removes it
      return;
    }
    this.items = this.items.filter((i) => i !== item);
    this.render();
    this.opts.onChange(`${item.name} removed.`);
  }

  private updateProgress(item: TrayItem): void {
    const bar = this.el.querySelector<HTMLProgressElement>(`[data-key="${item.key}"] progress`);
    if (bar && item.state.kind === 'uploading') {
      bar.max = Math.max(1, item.state.total);
      bar.value = item.state.loaded;
      bar.setAttribute('aria-valuetext', `${percent(item.state)}%`);
    }
  }

  private render(): void {
    this.el.hidden = this.items.length === 0;
    setChildren(
      this.el,
      this.items.map((item) => {
        const s = item.state;
        const removeLabel =
          s.kind === 'uploading' ? `Cancel upload of ${item.name}` : `Remove ${item.name}`;
        return h(
          'li',
          {
            class: `tray-item tray-${s.kind}`,
            'data-key': String(item.key),
            'data-testid': 'tray-item',
            'data-state': s.kind,
          },
          s.kind === 'done' && isInlineImage(s.file)
            ? h('img', { class: 'tray-thumb', src: s.file.url, alt: '', width: '40', height: '40' })
            : h('span', { class: 'tray-icon', 'aria-hidden': 'true' }, icon('file')),
          h(
            'span',
            { class: 'tray-text' },
            h('span', { class: 'tray-name' }, item.name),
            s.kind === 'uploading'
              ? h('progress', {
                  class: 'tray-progress',
                  max: String(Math.max(1, s.total)),
                  value: String(s.loaded),
                  'aria-label': `Uploading ${item.name}`,
                  'aria-valuetext': `${percent(s)}%`,
                  'data-testid': 'upload-progress',
                })
              : h(
                  'span',
                  { class: s.kind === 'failed' ? 'tray-error' : 'tray-meta' },
                  s.kind === 'failed' ? s.message : formatBytes(item.size),
                ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'icon-btn tray-remove',
              'aria-label': removeLabel,
              title: removeLabel,
              'data-testid': s.kind === 'uploading' ? 'upload-cancel' : 'tray-remove',
              on: { click: () => this.remove(item) },
            },
            icon('close'),
          ),
        );
      }),
    );
  }
}

function percent(s: { loaded: number; total: number }): number {
  return s.total > 0 ? Math.min(100, Math.round((100 * s.loaded) / s.total)) : 0;
}
