// Share links are untrusted input: every field is checked, anything ambiguous is refused, and
// random text only ever ends in a ShareLinkError.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatShareLink,
  isShareLinkText,
  parseShareLink,
  parseShareLinkQuery,
  ShareLinkError,
  type ShareLink,
} from '@node-core/share-link';

/** 64 hex digits: a key fingerprint, or an older build's whole-file SHA-256. */
const HEX = 'ab'.repeat(32);
const ROOT = 'cd'.repeat(32);
/** The version fields every link carries. */
const V = `size=5&root=${ROOT}`;
const BASE = 'vscode://p2p-network.p2p-network-vscode/download?';

const full: ShareLink = {
  name: 'report 2026 (final).pdf',
  size: 123456,
  root: ROOT,
  holder: { id: 's1', host: '10.0.0.7', port: 40123 },
  fingerprint: 'ef'.repeat(32),
  metaserver: { host: 'meta.lan', port: 5000 },
  metaserverFingerprint: '12'.repeat(32),
  mode: 'flood',
};

describe('share link: format and parse', () => {
  it('round-trips every field, in the vscode:// form the UriHandler receives', () => {
    const text = formatShareLink(full);
    assert.ok(text.startsWith(BASE), text);
    assert.ok(text.includes(`&mfp=${'12'.repeat(32)}`), "the metaserver's key travels with its address");
    assert.ok(isShareLinkText(text));
    assert.deepEqual(parseShareLink(text), full);
    assert.deepEqual(parseShareLinkQuery(new URL(text).search.slice(1)), full);
  });

  it('accepts IPv6 holders, another URI scheme, upper-case digests and only a metaserver', () => {
    const v6: ShareLink = {
      name: 'a.txt',
      size: 5,
      root: ROOT,
      holder: { id: 'p:1@x', host: '::1', port: 7 },
    };
    const text = formatShareLink(v6, { scheme: 'vscode-insiders', authority: 'p2p-network.p2p-network-vscode' });
    assert.match(text, /holder=%5B%3A%3A1%5D%3A7/);
    assert.deepEqual(parseShareLink(text), v6);
    const upper = `size=5&root=${ROOT.toUpperCase()}`;
    assert.deepEqual(parseShareLink(`${BASE}name=a.txt&${upper}&metaserver=127.0.0.1:5000`), {
      name: 'a.txt',
      size: 5,
      root: ROOT,
      metaserver: { host: '127.0.0.1', port: 5000 },
    });
  });

  it("accepts an older build's link, which also carries the whole file's sha256, and ignores that field", () => {
    const link = formatShareLink(full);
    assert.ok(!link.includes('sha256='), 'a link names its version by the root alone');
    for (const old of [`${link}&sha256=${HEX}`, `${link}&sha256=zz&sha256=${HEX}`]) {
      const parsed = parseShareLink(old);
      assert.deepEqual(parsed, full);
      assert.ok(!('sha256' in parsed));
    }
  });

  it('refuses hostile or broken links, saying which field is wrong', () => {
    const ok = `name=a.txt&${V}&holder=127.0.0.1:4000&id=s1`;
    const cases: Array<[string, RegExp]> = [
      ['not a url', /not a URL/],
      [`https://example.com/download?${ok}`, /not addressed/],
      [`vscode://evil.other/download?${ok}`, /not addressed/],
      [`vscode://user:pw@p2p-network.p2p-network-vscode/download?${ok}`, /not addressed/],
      [`vscode://p2p-network.p2p-network-vscode/upload?${ok}`, /path/],
      [`${BASE}${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}name=..%2F..%2Fetc%2Fpasswd&${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}name=..&${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}name=a%00b&${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}name=a%5Cb&${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}name=${'x'.repeat(256)}&${V}&holder=127.0.0.1:4000&id=s1`, /"name"/],
      [`${BASE}${ok}&name=b.txt`, /"name" is given 2 times/],
      [`${BASE}name=a.txt&size=-1&root=${ROOT}&holder=127.0.0.1:4000&id=s1`, /"size"/],
      [`${BASE}name=a.txt&size=99999999999999999&root=${ROOT}&holder=127.0.0.1:4000&id=s1`, /"size"/],
      [`${BASE}name=a.txt&size=1e3&root=${ROOT}&holder=127.0.0.1:4000&id=s1`, /"size"/],
      [`${BASE}name=a.txt&root=${ROOT}&holder=127.0.0.1:4000&id=s1`, /"size"/],
      [`${BASE}name=a.txt&size=5&root=xyz&holder=127.0.0.1:4000&id=s1`, /"root"/],
      [`${BASE}name=a.txt&size=5&sha256=${HEX}&holder=127.0.0.1:4000&id=s1`, /"root"/], // SHA-256 alone names nothing
      [`${BASE}${ok}&root=${ROOT}`, /"root" is given 2 times/],
      [`${BASE}name=a.txt&${V}&holder=127.0.0.1:4000`, /"holder" and "id"/],
      [`${BASE}name=a.txt&${V}&holder=127.0.0.1:4000&id=a%20b`, /"id"/],
      [`${BASE}name=a.txt&${V}&holder=127.0.0.1:0&id=s1`, /"holder" must be HOST:PORT/],
      [`${BASE}name=a.txt&${V}&holder=127.0.0.1:65536&id=s1`, /"holder" must be HOST:PORT/],
      [`${BASE}name=a.txt&${V}&holder=127.0.0.1&id=s1`, /"holder" must be HOST:PORT/],
      [`${BASE}name=a.txt&${V}&holder=evil.com%2Fx:80&id=s1`, /no valid host/],
      [`${BASE}name=a.txt&${V}&holder=user%40evil.com:80&id=s1`, /no valid host/],
      [`${BASE}name=a.txt&${V}&holder=999.1.1.1:80&id=s1`, /no valid host/],
      [`${BASE}name=a.txt&${V}&holder=%5B::1:80&id=s1`, /HOST:PORT/],
      [`${BASE}name=a.txt&${V}&holder=%5Bnot-v6%5D:80&id=s1`, /HOST:PORT|no valid host/],
      [`${BASE}name=a.txt&${V}&holder=-bad-.lan:80&id=s1`, /no valid host/],
      [`${BASE}name=a.txt&${V}&metaserver=a%20b:80`, /no valid host/],
      [`${BASE}${ok}&mode=ring`, /"mode"/],
      [`${BASE}${ok}&fp=${'e'.repeat(63)}`, /"fp" must be 64 hex digits/],
      [`${BASE}name=a.txt&${V}&metaserver=127.0.0.1:5000&fp=${HEX}`, /"fp" is the holder's key/],
      [`${BASE}${ok}&fp=${HEX}&fp=${HEX}`, /"fp" is given 2 times/],
      [`${BASE}${ok}&mfp=${HEX}`, /"mfp" is the metaserver's key: it needs "metaserver"/],
      [`${BASE}name=a.txt&${V}&metaserver=127.0.0.1:5000&mfp=${'z'.repeat(64)}`, /"mfp" must be 64 hex digits/],
      [`${BASE}name=a.txt&${V}&metaserver=127.0.0.1:5000&mfp=${HEX}&mfp=${HEX}`, /"mfp" is given 2 times/],
      [`${BASE}name=a.txt&${V}`, /neither a holder nor a metaserver/],
      [`${BASE}${ok}&pad=${'x'.repeat(5000)}`, /at most 4096/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseShareLink(text),
        (err: unknown) => err instanceof ShareLinkError && why.test(err.message),
        text.slice(0, 200),
      );
    }
  });

  it('only ever throws ShareLinkError, whatever the text (fast-check)', () => {
    const field = fc.constantFrom('name', 'sha256', 'size', 'root', 'holder', 'id', 'fp', 'metaserver', 'mode', 'x');
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(HEX, ROOT, '5', '127.0.0.1:1', '[::1]:2', 'a.txt', 's1', 'chord'),
    );
    const query = fc.array(fc.tuple(field, value), { maxLength: 10 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          query.map((pairs) => BASE + new URLSearchParams(pairs).toString()),
        ),
        (text) => {
          try {
            const link = parseShareLink(text);
            // whatever passes formats back to an equal link
            assert.deepEqual(parseShareLink(formatShareLink(link)), link);
          } catch (err) {
            if (!(err instanceof ShareLinkError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
