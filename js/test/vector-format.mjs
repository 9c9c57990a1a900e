// The vector file format (docs/FORMAT.md#test-vectors): `name: value` lines. Runtime-neutral.
export const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
export const toHex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");

export function parseVector(name, text) {
  const fields = {};
  for (const line of text.split("\n")) {
    if (!line) continue;
    const i = line.indexOf(": ");
    fields[i < 0 ? line.replace(/:$/, "") : line.slice(0, i)] = i < 0 ? "" : line.slice(i + 2);
  }
  return { name, ...fields };
}
