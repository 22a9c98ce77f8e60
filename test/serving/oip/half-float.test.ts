import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat } from '../../../src/serving/oip/index.js';

// Bit patterns from IEEE 754 binary16 (as numpy.float16(x).view(numpy.uint16) gives them).
const KNOWN: [number, number][] = [
  [0, 0x0000],
  [-0, 0x8000],
  [1, 0x3c00],
  [-2, 0xc000],
  [0.5, 0x3800],
  [65504, 0x7bff], // largest half
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [1023 * 2 ** -24, 0x03ff], // largest subnormal
  [0.333251953125, 0x3555],
  [Infinity, 0x7c00],
  [-Infinity, 0xfc00],
];

describe('half floats', () => {
  it.each(KNOWN)('writes %d as its binary16 bits and reads them back', (value, bits) => {
    expect(floatToHalf(value)).toBe(bits);
    expect(Object.is(halfToFloat(bits), value)).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    expect(floatToHalf(1 / 3)).toBe(0x3555);
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 and 0x3c01: even wins
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02: even wins
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01); // just past the tie
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie with zero in the subnormals
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002);
    expect(floatToHalf(2047.5 * 2 ** -24 * 2 ** -1)).toBe(0x0400); // rounds up out of the subnormals
    expect(floatToHalf(2047.9)).toBe(0x6800); // mantissa carry into the next exponent (2048)
  });

  it('overflows to infinity from 65520 (the tie above the largest half) and not before', () => {
    expect(floatToHalf(65519.99)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(-1e10)).toBe(0xfc00);
  });

  it('keeps NaN a NaN', () => {
    expect(floatToHalf(NaN)).toBe(0x7e00);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0xfc01)).toBeNaN();
  });

  it('round-trips every one of the 65536 bit patterns that is a number', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToFloat(bits);
      if (Number.isNaN(value)) continue;
      if (floatToHalf(value) !== bits) throw new Error(`0x${bits.toString(16)} → ${value} → 0x${floatToHalf(value).toString(16)}`);
    }
  });

  it('rounds every midpoint between two neighbouring halves to the even one', () => {
    const odd: number[] = [];
    for (let bits = 0x0000; bits < 0x7bff; bits++) {
      const mid = (halfToFloat(bits) + halfToFloat(bits + 1)) / 2;
      const got = floatToHalf(mid);
      if ((got & 1) !== 0 || (got !== bits && got !== bits + 1)) odd.push(bits);
    }
    expect(odd).toEqual([]);
  });
});
