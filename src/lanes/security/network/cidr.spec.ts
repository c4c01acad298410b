import { CidrAllowlist, CidrParseError, cidrContains, parseAddress, parseCidr, tryParseCidr } from './cidr';

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1', 4, 0x7f000001n],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::1', 6, 1n],
    ['::', 6, 0n],
    ['2001:DB8::1', 6, 0x20010db8000000000000000000000001n],
    ['fe80::1%eth0', 6, 0xfe800000000000000000000000000001n],
    ['::ffff:127.0.0.1', 4, 0x7f000001n],
    ['::FFFF:7f00:1', 4, 0x7f000001n],
    ['0:0:0:0:0:ffff:10.1.2.3', 4, 0x0a010203n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ])('reads %s', (text, family, value) => {
    expect(parseAddress(text)).toEqual({ family, value });
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '010.0.0.1',
    '1.2.3.-1',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    'g::1',
    ':::',
    '1:2:3:4:5:6:7::8',
    '::1.2.3.4:5',
    'fe80::1%',
    'localhost',
    '1.2.3.4/32',
  ])('refuses %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('canonicalises', () => {
    expect(parseCidr('10.0.0.0/8').text).toBe('10.0.0.0/8');
    expect(parseCidr('2001:0DB8:0:0::/32').text).toBe('2001:db8::/32');
    expect(parseCidr('203.0.113.7').text).toBe('203.0.113.7/32');
    expect(parseCidr('::1').text).toBe('::1/128');
    expect(parseCidr('0.0.0.0/0').prefix).toBe(0);
  });

  it.each([
    ['10.1.2.3/8', 'host bits'],
    ['10.0.0.0/33', 'exceeds'],
    ['::/129', 'exceeds'],
    ['10.0.0.0/', 'not a number'],
    ['10.0.0.0/08', 'not a number'],
    ['10.0.0.0/-1', 'not a number'],
    ['10.0.0/8', 'IPv4'],
    ['fe80::%eth0/64', 'zone'],
    ['garbage', 'IPv4'],
    ['', 'IPv4'],
  ])('refuses %j (%s)', (text, problem) => {
    expect(() => parseCidr(text)).toThrow(CidrParseError);
    expect(() => parseCidr(text)).toThrow(problem);
    expect(tryParseCidr(text)).toBeUndefined();
  });
});

describe('CidrAllowlist', () => {
  it('matches IPv4 blocks, including their IPv4-mapped IPv6 form', () => {
    const list = CidrAllowlist.compile(['10.0.0.0/8', '192.168.1.0/24']);
    expect(list.contains('10.255.255.255')).toBe(true);
    expect(list.contains('192.168.1.200')).toBe(true);
    expect(list.contains('::ffff:192.168.1.200')).toBe(true);
    expect(list.contains('::ffff:c0a8:1c8')).toBe(true);
    expect(list.contains('192.168.2.1')).toBe(false);
    expect(list.contains('11.0.0.0')).toBe(false);
    expect(list.contains('9.255.255.255')).toBe(false);
  });

  it('handles /32 and /128 edges exactly', () => {
    const list = CidrAllowlist.compile(['203.0.113.7/32', '2001:db8::7/128']);
    expect(list.contains('203.0.113.7')).toBe(true);
    expect(list.contains('203.0.113.6')).toBe(false);
    expect(list.contains('203.0.113.8')).toBe(false);
    expect(list.contains('2001:db8::7')).toBe(true);
    expect(list.contains('2001:db8::6')).toBe(false);
    expect(list.contains('2001:db8::8')).toBe(false);
  });

  it('treats /0 as everything of its family', () => {
    const v4 = CidrAllowlist.compile(['0.0.0.0/0']);
    expect(v4.contains('0.0.0.0')).toBe(true);
    expect(v4.contains('255.255.255.255')).toBe(true);
    expect(v4.contains('::ffff:8.8.8.8')).toBe(true);
    expect(v4.contains('::1')).toBe(false);
    const v6 = CidrAllowlist.compile(['::/0']);
    expect(v6.contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    // ::/0 covers ::ffff:0:0/96, and mapped addresses are IPv4 clients.
    expect(v6.contains('8.8.8.8')).toBe(true);
  });

  it('matches IPv6 blocks', () => {
    const list = CidrAllowlist.compile(['2001:db8:abcd::/48']);
    expect(list.contains('2001:db8:abcd:ffff::1')).toBe(true);
    expect(list.contains('2001:db8:abce::1')).toBe(false);
    expect(list.contains('fe80::1%eth0')).toBe(false);
  });

  it('accepts an IPv4 block written in mapped IPv6 form', () => {
    const list = CidrAllowlist.compile(['::ffff:10.0.0.0/104']);
    expect(list.contains('10.20.30.40')).toBe(true);
    expect(list.contains('::ffff:10.20.30.40')).toBe(true);
    expect(list.contains('11.0.0.1')).toBe(false);
  });

  it('merges overlapping and adjacent blocks', () => {
    const list = CidrAllowlist.compile(['10.0.0.0/24', '10.0.1.0/24', '10.0.0.128/25', '10.0.3.0/24']);
    expect(list.contains('10.0.1.255')).toBe(true);
    expect(list.contains('10.0.2.0')).toBe(false);
    expect(list.contains('10.0.3.1')).toBe(true);
  });

  it('refuses garbage, missing addresses, and admits nobody when empty', () => {
    const list = CidrAllowlist.compile(['0.0.0.0/0', '::/0']);
    for (const bad of ['', 'garbage', '1.2.3.4.5', '999.1.1.1', '::g', undefined, null]) {
      expect(list.contains(bad)).toBe(false);
    }
    expect(CidrAllowlist.compile([]).contains('127.0.0.1')).toBe(false);
  });

  it('refuses to compile a list with a bad entry', () => {
    expect(() => CidrAllowlist.compile(['10.0.0.0/8', '10.0.0.1/8'])).toThrow(CidrParseError);
  });

  it('cidrContains checks one block', () => {
    expect(cidrContains(parseCidr('127.0.0.0/8'), '::ffff:127.0.0.1')).toBe(true);
    expect(cidrContains(parseCidr('127.0.0.0/8'), '::1')).toBe(false);
  });
});
