import { parseDuration } from '../../domain/duration';

describe('parseDuration', () => {
  test('parses each unit to milliseconds', () => {
    const cases: Array<[string, number]> = [
      ['24h', 86_400_000],
      ['7d', 604_800_000],
      ['5s', 5_000],
      ['500ms', 500],
      ['30m', 1_800_000],
      ['1ms', 1],
    ];
    for (const [text, ms] of cases) expect({ text, ms: parseDuration(text) }).toEqual({ text, ms });
  });

  test('trims surrounding whitespace', () => {
    expect(parseDuration(' 5s ')).toBe(5_000);
  });

  test("rejects '', 'abc', '0s', '-5s', '5', '1.5h' and other malformed input with RangeError", () => {
    for (const text of ['', 'abc', '0s', '-5s', '5', '1.5h', '5 s', '5S', '5w', 'h']) {
      expect(() => parseDuration(text)).toThrow(RangeError);
    }
  });

  test('rejects zero with the "positive" message and overflow as unsafe', () => {
    expect(() => parseDuration('0s')).toThrow('"0s" must be a positive duration');
    expect(() => parseDuration('99999999999999999d')).toThrow('must be a positive duration');
    expect(() => parseDuration('abc')).toThrow('"abc" is not a duration');
  });
});
