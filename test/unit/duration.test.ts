import { parseDuration } from '../../domain/duration';

describe('parseDuration', () => {
  test.each([
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['5s', 5_000],
    ['500ms', 500],
    ['30m', 1_800_000],
    ['1ms', 1],
    [' 5s ', 5_000],
  ])('%p -> %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([[''], ['abc'], ['0s'], ['-5s'], ['5'], ['1.5h'], ['5 s'], ['5S'], ['5w'], ['h'], ['99999999999999999d']])('rejects %p with RangeError', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});
