import { describe, expect, it } from 'vitest';
import {
  float32Bits,
  float32FromBits,
  float32ToString,
  formatAgo,
  formatBytes,
  formatCountdown,
  formatDuration,
  formatEth,
  formatFloat32Bits,
  formatNumber,
  groupThousands,
  humanize,
  isAddress,
  isHash,
  opcodeName,
  parseEth,
  sameAddress,
  shortAddress,
  shortHash,
  toWei,
} from '../src/lib/format';

describe('amounts', () => {
  it('formats wei as ETH, truncating to the requested decimals', () => {
    expect(formatEth('1000000000000000000')).toBe('1 ETH');
    expect(formatEth(1500000000000000000n)).toBe('1.5 ETH');
    expect(formatEth('123456789000000000000000')).toBe('123,456.789 ETH');
    expect(formatEth('1234567890000000000', { decimals: 2 })).toBe('1.23 ETH');
    expect(formatEth('0')).toBe('0 ETH');
    expect(formatEth('1', { unit: false })).toBe('<0.0001');
    expect(formatEth(-2n * 10n ** 18n)).toBe('-2 ETH');
    expect(formatEth(null)).toBe('0 ETH');
  });

  it('keeps precision beyond 2**53', () => {
    expect(formatEth('9007199254740993000000000', { decimals: 0 })).toBe('9,007,199 ETH');
    expect(toWei('90071992547409930001')).toBe(90071992547409930001n);
  });

  it('rejects what is not an amount', () => {
    expect(() => toWei('1.5')).toThrow();
    expect(() => toWei('abc')).toThrow();
  });

  it('parses typed ETH into wei', () => {
    expect(parseEth('1')).toBe(10n ** 18n);
    expect(parseEth('0.25')).toBe(25n * 10n ** 16n);
    expect(parseEth('.5')).toBe(5n * 10n ** 17n);
    expect(parseEth('1,000')).toBe(1000n * 10n ** 18n);
    expect(parseEth('0.000000000000000001')).toBe(1n);
    expect(parseEth('0.0000000000000000001')).toBeNull();
    expect(parseEth('')).toBeNull();
    expect(parseEth('.')).toBeNull();
    expect(parseEth('-1')).toBeNull();
    expect(parseEth('1e18')).toBeNull();
  });

  it('groups thousands', () => {
    expect(groupThousands('1234567')).toBe('1,234,567');
    expect(groupThousands('123')).toBe('123');
  });
});

describe('hex', () => {
  const address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
  it('shortens addresses and hashes', () => {
    expect(shortAddress(address)).toBe('0xe7f1…0512');
    expect(shortHash(`0x${'ab'.repeat(32)}`)).toBe('0xababab…abab');
    expect(shortAddress(null)).toBe('—');
    expect(shortHash('0x12')).toBe('0x12');
  });
  it('recognises addresses and hashes', () => {
    expect(isAddress(address)).toBe(true);
    expect(isAddress('0x1234')).toBe(false);
    expect(isHash(`0x${'0'.repeat(64)}`)).toBe(true);
    expect(isHash(address)).toBe(false);
  });
  it('compares addresses case-insensitively', () => {
    expect(sameAddress(address, address.toLowerCase())).toBe(true);
    expect(sameAddress(address, null)).toBe(false);
  });
});

describe('time', () => {
  it('formats durations with two units at most', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(750)).toBe('12m 30s');
    expect(formatDuration(4 * 3600 + 5 * 60 + 9)).toBe('4h 05m');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2d 3h');
    expect(formatDuration(-90)).toBe('-1m 30s');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
  it('formats countdowns and relative times', () => {
    expect(formatCountdown(1000, 750)).toBe('in 4m 10s');
    expect(formatCountdown(1000, 1000)).toBe('now');
    expect(formatCountdown(1000, 1123)).toBe('ended 2m 03s ago');
    expect(formatAgo(100, 400)).toBe('5m 00s ago');
    expect(formatAgo(400, 100)).toBe('in 5m 00s');
    expect(formatAgo(100, 100.5)).toBe('just now');
  });
});

describe('numbers', () => {
  it('formats compactly', () => {
    expect(formatNumber(1234)).toBe('1,234');
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(0.000123)).toBe('1.230e-4');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('+∞');
    expect(formatNumber(null)).toBe('—');
  });
});

describe('float32', () => {
  it('converts bits both ways', () => {
    expect(float32FromBits(0x3f800000)).toBe(1);
    expect(float32FromBits('1065353216')).toBe(1);
    expect(float32FromBits(0xc0000000)).toBe(-2);
    expect(Number.isNaN(float32FromBits(0x7fc00000))).toBe(true);
    expect(float32Bits(1)).toBe(0x3f800000);
    expect(float32Bits(0.1)).toBe(0x3dcccccd);
    expect(() => float32FromBits(2 ** 32)).toThrow();
  });
  it('prints the shortest decimal that reads back to the same float32', () => {
    expect(float32ToString(Math.fround(0.1))).toBe('0.1');
    expect(float32ToString(Math.fround(1e-8))).toBe('1e-8');
    expect(float32ToString(-0)).toBe('-0');
    expect(float32ToString(Number.POSITIVE_INFINITY)).toBe('+Infinity');
    expect(formatFloat32Bits(0x3dcccccd)).toBe('0x3dcccccd (0.1)');
    expect(formatFloat32Bits(0x00000001)).toBe('0x00000001 (1e-45)');
  });
  it('names opcodes as tribunal.repops.Opcode numbers them', () => {
    expect(opcodeName(1)).toBe('ADD');
    expect(opcodeName(8)).toBe('SELECT');
    expect(opcodeName(12)).toBe('NEG');
    expect(opcodeName(14)).toBe('COPY');
    expect(opcodeName(99)).toBe('op 99');
  });
});

describe('humanize', () => {
  it('turns enum names into words', () => {
    expect(humanize('CHALLENGER_WON')).toBe('Challenger won');
    expect(humanize(null)).toBe('—');
  });
});

describe('formatBytes', () => {
  it('uses binary units with at most one decimal', () => {
    expect([0, 512, 1536, 256 * 1024 * 1024, 3 * 1024 ** 3 + 1].map(formatBytes)).toEqual(['0 B', '512 B', '1.5 KiB', '256 MiB', '3 GiB']);
  });
});
