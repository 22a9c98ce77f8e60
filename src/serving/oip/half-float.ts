/**
 * IEEE 754 binary16 ("half", OIP `FP16`, ONNX `float16`) to and from JS numbers. ORT's
 * Node binding takes float16 tensors as a Uint16Array of the raw bits, so these are the
 * only conversions FP16 needs. Node 20 has no `Math.f16round` / `Float16Array`.
 */

const HALF_NAN = 0x7e00;
const HALF_INFINITY = 0x7c00;
/** Halfway between the largest half (65504) and the next step (65536): it and above round to infinity. */
const HALF_OVERFLOW = 65520;
const SMALLEST_NORMAL = 2 ** -14;

/**
 * The binary16 bits nearest to `value`, rounding to nearest, ties to even (as numpy's
 * `float16(x)` does, straight from the double, with no double rounding through float32).
 *
 * @example floatToHalf(1); // 0x3c00
 * @example floatToHalf(65520); // 0x7c00 (infinity: the tie rounds to the even side)
 */
export function floatToHalf(value: number): number {
  if (Number.isNaN(value)) return HALF_NAN;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= HALF_OVERFLOW) return sign | HALF_INFINITY;
  if (a < SMALLEST_NORMAL) {
    // subnormal: a count of 2^-24 steps; a carry to 1024 is the smallest normal's bits
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(a));
  // log2 can be off by one right at a power of two
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  // a / 2^e is in [1, 2): scaling by powers of two is exact, so the rounding is the only one
  const mantissa = roundHalfEven((a / 2 ** exponent) * 1024);
  // a mantissa that rounds up to 2048 carries into the exponent by plain addition
  return sign | (((exponent + 15) << 10) + mantissa - 1024);
}

/**
 * The number that binary16 bits stand for (exact: every half is a double).
 *
 * @example halfToFloat(0x3555); // 0.333251953125
 */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5 || (rest === 0.5 && (floor & 1) === 1)) return floor + 1;
  return floor;
}
