/**
 * Offline analysis of the server's JSON access log ({@code ./hotpath analyze FILE}): traffic by
 * route template, status class, payload type, latency band and minute, with noise (malformed
 * requests, scanners, bots, idempotent retries) kept apart from business traffic. The log is
 * streamed; only the aggregates are held.
 */
package dev.hotpath.observe.analyze;
