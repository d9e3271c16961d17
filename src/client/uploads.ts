// Uploading one file to a room with progress and cancel. XMLHttpRequest, not
// fetch: only XHR reports upload progress in every browser.
import type { AttachmentInfo } from '../protocol/attachment-text.js';
import { describeErrorBody } from './api.js';

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface Upload {
  /** Resolves with the stored file; rejects with UploadError (`cancelled` after cancel()). */
  readonly done: Promise<AttachmentInfo>;
  cancel(): void;
}

export class UploadError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0: no answer (network) or cancelled. */
    readonly status: number,
    readonly cancelled = false,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function startUpload(
  roomId: string,
  file: Blob,
  filename: string,
  onProgress: (p: UploadProgress) => void,
  base = '',
): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<AttachmentInfo>((resolve, reject) => {
    xhr.open('POST', `${base}/api/chat/rooms/${encodeURIComponent(roomId)}/uploads`);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (ev) => {
      if (ev.lengthComputable) onProgress({ loaded: ev.loaded, total: ev.total });
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201 && xhr.response && typeof xhr.response === 'object') {
        resolve(xhr.response as AttachmentInfo);
      } else {
        reject(new UploadError(describeErrorBody(xhr.response, xhr.status), xhr.status));
      }
    });
    xhr.addEventListener('error', () =>
      reject(new UploadError('The upload failed: the server could not be reached.', 0)),
    );
    xhr.addEventListener('abort', () => reject(new UploadError('Cancelled', 0, true)));
    const form = new FormData();
    form.append('file', file, filename);
    xhr.send(form);
  });
  return { done, cancel: () => xhr.abort() };
}
