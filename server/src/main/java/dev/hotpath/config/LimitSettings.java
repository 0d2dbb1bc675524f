package dev.hotpath.config;

import java.time.Duration;

/**
 * Bounds on what one client may send and hold, so that hostile input costs the server little.
 *
 * @param maxUrlBytes longest request line (HTTP/1) or URI (HTTP/2); 414 above
 * @param maxHeaderBytes largest header block; 431 above
 * @param maxHeaderCount most header fields; 431 above
 * @param jsonMaxDepth deepest nesting of a JSON body; 400 above
 * @param jsonMaxArray most elements in one JSON array of a body; 400 above
 * @param requestTimeout time from a request's headers to its response: 408 when the client has not
 *     sent its body by then, 503 when the server has not answered
 * @param headerTimeout time a connection has, once open, to send a complete request head; a client
 *     trickling bytes is cut off
 * @param idleTimeout time an idle connection is kept, and the time a keep-alive connection has
 *     after a response to send the next request head
 * @param maxConnections most connections open at once; further ones are closed at once
 * @param databaseGrace how long past its deadline (its route budget) a request's database work may
 *     still run before the request is answered 503 {@code database-timeout}; 0 holds it to the
 *     budget
 */
public record LimitSettings(
    int maxUrlBytes,
    int maxHeaderBytes,
    int maxHeaderCount,
    int jsonMaxDepth,
    int jsonMaxArray,
    Duration requestTimeout,
    Duration headerTimeout,
    Duration idleTimeout,
    int maxConnections,
    Duration databaseGrace) {}
