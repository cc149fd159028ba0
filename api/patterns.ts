/**
 * Character classes as explicit ranges, so that a pattern in the OpenAPI
 * document means the same to every tool that reads it: no `\p{…}` property
 * escapes (JavaScript-only), no `\d`, `\s` or `\w` (their meaning differs
 * between regex engines). The server validates with the same classes, so what
 * the document says and what the server enforces cannot drift apart.
 *
 * Code points up to U+FFFF are written `\uXXXX` (printable ASCII as itself);
 * the few classes that reach beyond (letters) hold those characters literally.
 */
export type Range = readonly [number, number];

/** Unicode general category Cc, exactly `\p{Cc}`: the C0 controls, DEL and the C1 controls. */
export const CONTROL: readonly Range[] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
];

/** What String.prototype.trim removes: ECMAScript WhiteSpace and LineTerminator (the same in every Unicode version since 6.3). */
export const TRIMMED: readonly Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

/**
 * The code points a `u` regex matches, as ranges: read from the runtime's own
 * Unicode tables, so `[${classOf(rangesOf(/\p{L}/u))}]` is `\p{L}` exactly.
 */
export function rangesOf(re: RegExp): Range[] {
  const one = new RegExp(`^(?:${re.source})$`, 'u');
  const out: [number, number][] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // surrogates are not characters
    if (!one.test(String.fromCodePoint(cp))) continue;
    const last = out[out.length - 1];
    if (last && last[1] + 1 === cp) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
}

/** Every letter (Unicode general category L), exactly `\p{L}`. */
export const LETTERS: readonly Range[] = rangesOf(/\p{L}/u);

/** The ranges of `a` without those of `b`. */
export function without(a: readonly Range[], b: readonly Range[]): Range[] {
  let out: Range[] = [...a];
  for (const [bf, bt] of b) {
    out = out.flatMap(([f, t]): Range[] => {
      if (bt < f || bf > t) return [[f, t]];
      const parts: Range[] = [];
      if (f < bf) parts.push([f, bf - 1]);
      if (t > bt) parts.push([bt + 1, t]);
      return parts;
    });
  }
  return out;
}

/** The union of two sets of ranges, sorted and merged. */
export function union(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: [number, number][] = [];
  for (const [f, t] of [...a, ...b].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && f <= last[1] + 1) last[1] = Math.max(last[1], t);
    else out.push([f, t]);
  }
  return out;
}

const SPECIAL_IN_CLASS = new Set(['\\', ']', '[', '^', '-']);
const char = (cp: number): string => {
  if (cp > 0xffff) return String.fromCodePoint(cp);
  const c = String.fromCharCode(cp);
  if (cp >= 0x21 && cp <= 0x7e && !SPECIAL_IN_CLASS.has(c)) return c;
  return `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
};

/** The inside of a character class (`[` and `]` left to the caller). */
export function classOf(ranges: readonly Range[]): string {
  return ranges
    .map(([f, t]) => (f === t ? char(f) : t === f + 1 ? char(f) + char(t) : `${char(f)}-${char(t)}`))
    .join('');
}

const C = classOf(CONTROL);
const W = classOf(TRIMMED);
/** Not a control character and not trimmed away: what makes a text non-empty. */
const VISIBLE = `[^${classOf(union(CONTROL, TRIMMED))}]`;
/** Spaces that are not control characters: allowed inside a text. */
const INNER_SPACE = `[${classOf(without(TRIMMED, CONTROL))}]`;

/** No control character anywhere: `^[^\u0000-\u001F\u007F-\u009F]*$`, exactly `^[^\p{Cc}]*$`. */
export const NO_CONTROL = new RegExp(`^[^${C}]*$`, 'u');

/**
 * A free text as it is sent: once trimmed, at least one character and no
 * control character (whitespace the server trims away may include line breaks).
 */
export const TEXT_PATTERN = `^[${W}]*${VISIBLE}(?:${INNER_SPACE}*${VISIBLE})*[${W}]*$`;

/** A name, once trimmed: a letter, then letters, spaces and . , ' - (the `u` flag: letters beyond U+FFFF are literal). */
export const NAME = new RegExp(`^[${classOf(LETTERS)}][${classOf(LETTERS)} .,'-]*$`, 'u');
/** A name as it is sent (with the whitespace the server trims away). */
export const NAME_PATTERN = `^[${W}]*(?:[${classOf(LETTERS)}][ .,'-]*)+[${W}]*$`;

/** Characters as JSON Schema counts them (`maxLength`): code points, not UTF-16 units. */
export const characters = (s: string): number => [...s].length;
