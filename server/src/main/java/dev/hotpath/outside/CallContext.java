package dev.hotpath.outside;

import dev.hotpath.observe.RequestTrace;

/**
 * What every attempt and request of one call goes out with.
 *
 * @param wire the client's event loop, HTTP client and rules
 * @param dep the service called: its base URL, breaker, budgets, latency and counters
 * @param call the call itself
 * @param trace the trace of the request making the call; null outside a request
 */
record CallContext(Wire wire, Dependency dep, OutsideCall call, RequestTrace trace) {}
