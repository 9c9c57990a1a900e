// What a note is made of on the server: one record id, several encrypted fields.

/** Field names of a note record (the record id is random). */
export const F = {
  client: "client",
  body: "body",
  transcript: "transcript",
  transcriptName: "transcript-name",
  recordingMeta: "recording-meta",
  audio: "audio",
};
