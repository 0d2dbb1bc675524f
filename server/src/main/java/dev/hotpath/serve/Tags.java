package dev.hotpath.serve;

import dev.hotpath.http.Fields;

/**
 * Entity tags, built from what identifies content and never by hashing a body. A resource's tag is
 * its kind, id and version plus the fieldset's bits ({@code o42v3}, {@code o42v3.20c.12}); a page's
 * tag mixes the ids and versions of its rows with everything else its body depends on.
 */
final class Tags {
  private Tags() {}

  /** {@code prefix id "v" version}, then {@code .top[.items]} in hex for a sparse fieldset. */
  static String resource(String prefix, long id, long version, Fields.Selection sel) {
    StringBuilder tag = new StringBuilder(32).append(prefix).append(id).append('v').append(version);
    if (!sel.key().isEmpty()) {
      tag.append('.').append(Long.toHexString(sel.top()));
      if (sel.items() != 0) {
        tag.append('.').append(Long.toHexString(sel.items()));
      }
    }
    return tag.toString();
  }

  /**
   * An order-sensitive 64-bit mix of longs (each through MurmurHash3's finaliser): for pages, whose
   * content is fully determined by the ids and versions on them and the page's parameters.
   */
  static final class PageTag {
    private long h = 0x2545F4914F6CDD1DL;

    PageTag add(long value) {
      h = Long.rotateLeft(h ^ fmix(value), 29) * 0x9E3779B97F4A7C15L;
      return this;
    }

    PageTag add(String value) {
      return add(value.length()).add(value.hashCode());
    }

    String tag(String prefix) {
      return prefix + "." + Long.toHexString(fmix(h));
    }

    private static long fmix(long k) {
      k ^= k >>> 33;
      k *= 0xff51afd7ed558ccdL;
      k ^= k >>> 33;
      k *= 0xc4ceb9fe1a85ec53L;
      k ^= k >>> 33;
      return k;
    }
  }
}
