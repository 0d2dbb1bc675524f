package dev.hotpath.serve.cache;

import dev.hotpath.http.Fields;
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
 */
public record CacheKey(Kind kind, long id, long fields, long itemFields, int variant) {
  public static CacheKey of(Kind kind, long id, Fields.Selection sel, int variant) {
    return new CacheKey(kind, id, sel.top(), sel.items(), variant);
  }

  /** The resource whose invalidation drops this entry. */
  public Owner owner() {
    return new Owner(kind, id);
  }
}
