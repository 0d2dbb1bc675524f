package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.outside.Service;
import java.util.concurrent.atomic.AtomicLong;

/** What a stand-in counts: requests and their fates, connections, and payments' outcomes. */
final class StubCounters {
  final AtomicLong requests = new AtomicLong();
  final AtomicLong answered = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  final AtomicLong refused = new AtomicLong();
  final AtomicLong hung = new AtomicLong();
  final AtomicLong abandoned = new AtomicLong();
  final AtomicLong lost = new AtomicLong();
  final AtomicLong authorizations = new AtomicLong();
  final AtomicLong declines = new AtomicLong();
  final AtomicLong voids = new AtomicLong();
  final AtomicLong inFlight = new AtomicLong();
  final AtomicLong connections = new AtomicLong();
  final AtomicLong maxConnections = new AtomicLong();

  /** Counters to zero; the connection peak to the connections open now. */
  void reset() {
    maxConnections.set(connections.get());
    for (AtomicLong c :
        new AtomicLong[] {
          requests,
          answered,
          errors,
          refused,
          hung,
          abandoned,
          lost,
          authorizations,
          declines,
          voids
        }) {
      c.set(0);
    }
  }

  /** The counters into {@code out}; payments' own only for the payments stand-in. */
  void writeTo(ObjectNode out, Service service) {
    out.put("service", service.id())
        .put("requests", requests.get())
        .put("answered", answered.get())
        .put("errors", errors.get())
        .put("refused", refused.get())
        .put("hung", hung.get())
        .put("abandoned", abandoned.get())
        .put("lost", lost.get())
        .put("in_flight", inFlight.get())
        .put("connections", connections.get())
        .put("max_connections", maxConnections.get());
    if (service == Service.PAYMENTS) {
      out.put("authorizations", authorizations.get())
          .put("declines", declines.get())
          .put("voids", voids.get());
    }
  }
}
