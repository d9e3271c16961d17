// What a client written for the original API (/work/shared/SPEC.md) knows: the
// frame types it can receive and the fields of a Message. Tests of new features
// check that such a client never sees anything else (SPEC.md §5).

/** Server frame types of the original protocol, plus `room_deleted` (sent just before a close). */
export const ORIGINAL_FRAME_TYPES: ReadonlySet<string> = new Set([
  'message',
  'join',
  'leave',
  'user_list',
  'typing',
  'error',
  'room_deleted',
]);

/** The fields a Message had before issue 11 (`attachments` only with files). */
export const ORIGINAL_MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'room_id',
  'username',
  'content',
  'timestamp',
  'seq',
  'client_id',
  'attachments',
]);
