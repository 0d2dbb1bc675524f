package dev.hotpath.serve;

import dev.hotpath.http.Compression;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.store.Statements;

/**
 * What the read handlers of one event loop work with: the read side's door to the database, the
 * codec of page cursors, the response cache and the compression rule.
 */
public record ReadTools(
    Statements db, CursorCodec cursors, ResponseCache cache, Compression compression) {}
