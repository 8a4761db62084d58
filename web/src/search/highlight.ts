// Marked matches of a search hit as parts of text: the server sends offsets (in Unicode
// code points), never markup, and the page renders each part as text, a match in <mark>.

export interface Part {
  text: string;
  match: boolean;
}

/** Split `text` at the `[start, end)` ranges; ranges may be unsorted, overlap or overrun. */
export function markedParts(text: string, ranges: readonly (readonly [number, number])[]): Part[] {
  const chars = Array.from(text); // code points, as the server counts them
  const spans = ranges
    .map(([start, end]) => [Math.max(0, Math.floor(start)), Math.min(chars.length, Math.floor(end))] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const parts: Part[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    const from = Math.max(start, at);
    if (end <= from) continue;
    if (from > at) parts.push({ text: chars.slice(at, from).join(""), match: false });
    const last = parts[parts.length - 1];
    if (last?.match && from === at) last.text += chars.slice(from, end).join("");
    else parts.push({ text: chars.slice(from, end).join(""), match: true });
    at = end;
  }
  if (at < chars.length) parts.push({ text: chars.slice(at).join(""), match: false });
  return parts;
}
