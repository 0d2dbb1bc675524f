package dev.hotpath.serve.cache;

import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;

/**
 * The key of one cached representation: the resource (kind and id), the fieldset, and anything else
 * its body depends on. Every reader builds its keys here ({@link #of}), so that two readers of one
 * resource and fieldset meet on one entry.
 *
 * @param fields bits of the top-level fields selected
 * @param itemFields bits of the item fields selected
 * @param variant anything else the body depends on (pages: status filter and limit); 0 otherwise
 * @param format the wire format of the body: each format of one resource is its own entry, and all
 *     of them are dropped together with their owner
 */
public record CacheKey(
    Kind kind, long id, long fields, long itemFields, int variant, Format format) {
  /** A key of the JSON form. */
  public CacheKey(Kind kind, long id, long fields, long itemFields, int variant) {
    this(kind, id, fields, itemFields, variant, Format.JSON);
  }

  public static CacheKey of(Kind kind, long id, Fields.Selection sel, int variant) {
    return of(kind, id, sel, variant, Format.JSON);
  }

  public static CacheKey of(Kind kind, long id, Fields.Selection sel, int variant, Format format) {
    return new CacheKey(kind, id, sel.top(), sel.items(), variant, format);
  }

  /** The key of the same representation in JSON. */
  public CacheKey json() {
    return format == Format.JSON ? this : new CacheKey(kind, id, fields, itemFields, variant);
  }

  /** The resource whose invalidation drops this entry. */
  public Owner owner() {
    return new Owner(kind, id);
  }

  // Written out rather than generated: a record's equals and hashCode go through a method handle
  // chain (ObjectMethods) that showed in the CPU profile of every cache lookup, and the generated
  // hash takes the enums' identity hashes, which differ from run to run.

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheKey k
        && id == k.id
        && fields == k.fields
        && itemFields == k.itemFields
        && variant == k.variant
        && kind == k.kind
        && format == k.format;
  }

  @Override
  public int hashCode() {
    long h = id * 0x9E3779B97F4A7C15L + fields;
    h = h * 31 + itemFields;
    h = h * 31 + ((long) variant << 8 | kind.ordinal() << 4 | format.ordinal());
    return (int) (h ^ (h >>> 32));
  }
}
