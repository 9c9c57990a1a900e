// What the e2e tests type into the page and upload, and the helpers that check the page
// stays clean. The at-rest test searches the server's files for every one of these.

/** Two notes and an edit, with client identifiers a therapist might really type. */
export const CLIENT_1 = "Client JM-4471 (Jonas Meyer)";
export const NOTE_1 = "Jonas reported sleeping better since the new routine. Discussed the family visit on Sunday.";
export const NOTE_1_EDITED = "Jonas reported sleeping better since the new routine; panic attacks down to one a week.";
export const CLIENT_2 = "Client RK-0932 (Rosa Keller)";
export const NOTE_2 = "Rosa started exposure work today: elevator, two floors, anxiety 6/10 falling to 3/10.";
export const TRANSCRIPT_NAME = "transcript-jonas-meyer.txt";
export const TRANSCRIPT =
  "THERAPIST: How has the week been?\nJONAS: Better. I slept through four nights out of seven.\n" +
  "THERAPIST: What changed?\nJONAS: I stopped checking the news after nine in the evening.\n";
export const AUDIO_NAME = "session-jonas-meyer.wav";

/** Every string the at-rest test must not find in the server's files. */
export const SECRETS = [CLIENT_1, NOTE_1, NOTE_1_EDITED, CLIENT_2, NOTE_2, TRANSCRIPT, TRANSCRIPT_NAME, AUDIO_NAME];

export const SAMPLE_RATE = 22_050;
export const AUDIO_SECONDS = 75;

/**
 * A mono 16-bit PCM WAV of a 440 Hz tone under seeded noise, ~3.3 MB. The noise makes every
 * 64-byte window distinct from anything that occurs naturally in a database file (a window
 * of silence would be all zero bytes, found in any SQLite page), so the at-rest search for
 * the audio's windows has no false alarms.
 */
export function makeWav() {
  const samples = SAMPLE_RATE * AUDIO_SECONDS;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write("WAVEfmt ", 8, "ascii");
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(SAMPLE_RATE, 24);
  buf.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(samples * 2, 40);
  let x = 0x9e3779b9; // xorshift32 seed
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const noise = (x % 4001) - 2000;
    const tone = Math.round(9000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE));
    buf.writeInt16LE(tone + noise, 44 + i * 2);
  }
  return buf;
}

/** Collects console errors, page errors, failed requests and HTTP errors of one page. */
export function watch(page) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`requestfailed ${req.failure()?.errorText}: ${req.method()} ${req.url()}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`http ${res.status()}: ${res.url()}`);
  });
  return problems;
}

/** Records CSP violations and every value the upload progress bar takes. */
export async function instrument(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    window.__progress = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.target.dataset?.testid === "upload-progress") window.__progress.push(Number(r.target.value));
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["value"] });
  });
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations);
}
