/** The response cache of encoded bytes (CacheKey, ResponseCache) and its invalidation messages. */
@NullMarked
package dev.hotpath.serve.cache;

import org.jspecify.annotations.NullMarked;
