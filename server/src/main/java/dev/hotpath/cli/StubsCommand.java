package dev.hotpath.cli;

import dev.hotpath.outside.Service;
import dev.hotpath.stubs.Faults;
import dev.hotpath.stubs.Stubs;
import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code hotpath stubs}: local stand-ins for the outside services (payments, reviews,
 * recommendations) on loopback, with knobs for latency, errors, outages and slow bodies, settable
 * at start and while they run.
 */
@Command(
    name = "stubs",
    mixinStandardHelpOptions = true,
    description = {
      "Run local stand-ins for payments, reviews and recommendations on loopback.",
      "Knobs are key=value pairs, comma-separated: latency=fixed|normal|longtail, ms, sd, tail,"
          + " tail-ms, error-rate, error-status, retry-after, outage=none|refuse|hang,"
          + " drip-bytes, drip-ms, lost-rate (answers worked out, never sent),"
          + " decline-rate (payments).",
      "Change them while running: curl -XPUT --data 'outage=refuse' http://127.0.0.1:PORT/_stub/faults"
          + " (an empty body: healthy); GET /_stub/faults, GET /_stub/stats, POST /_stub/reset."
    })
public final class StubsCommand implements Callable<Integer> {
  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Interface to bind (default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "${env:HOTPATH_STUBS_PORT:-9090}",
      description =
          "Port of payments; reviews and recommendations take the next two (default"
              + " ${DEFAULT-VALUE}, HOTPATH_STUBS_PORT; 0 picks free ports).")
  int port;

  @Option(
      names = "--payments",
      defaultValue = "${env:HOTPATH_STUB_PAYMENTS:-}",
      description = "Knobs of payments (HOTPATH_STUB_PAYMENTS).")
  String payments;

  @Option(
      names = "--reviews",
      defaultValue = "${env:HOTPATH_STUB_REVIEWS:-}",
      description = "Knobs of reviews (HOTPATH_STUB_REVIEWS).")
  String reviews;

  @Option(
      names = "--recommendations",
      defaultValue = "${env:HOTPATH_STUB_RECOMMENDATIONS:-}",
      description = "Knobs of recommendations (HOTPATH_STUB_RECOMMENDATIONS).")
  String recommendations;

  /** Knobs of the three stand-ins from their texts; a bad one stops with its service named. */
  static Map<Service, Faults> knobs(String payments, String reviews, String recommendations) {
    Map<Service, Faults> faults = new EnumMap<>(Service.class);
    String[] specs = {payments, reviews, recommendations};
    Service[] services = {Service.PAYMENTS, Service.REVIEWS, Service.RECOMMENDATIONS};
    for (int i = 0; i < specs.length; i++) {
      try {
        faults.put(services[i], Faults.HEALTHY.with(specs[i] == null ? "" : specs[i]));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "bad knobs for " + services[i].id() + ": " + e.getMessage(), e);
      }
    }
    return faults;
  }

  @Override
  public Integer call() throws Exception {
    Stubs stubs = Stubs.start(host, port, knobs(payments, reviews, recommendations));
    PrintStream out = System.out;
    out.println("stand-ins are up:");
    for (Service service : Service.values()) {
      out.println(
          "  export HOTPATH_"
              + service.id().toUpperCase(java.util.Locale.ROOT)
              + "_URL="
              + stubs.url(service)
              + "   # knobs: GET/PUT "
              + stubs.url(service)
              + "/_stub/faults");
    }
    out.println("Stop with Ctrl-C.");
    CountDownLatch stopped = new CountDownLatch(1);
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(signal),
          sig ->
              new Thread(
                      () -> {
                        stubs.close();
                        stopped.countDown();
                      },
                      "stubs-stop")
                  .start());
    }
    stopped.await();
    return 0;
  }
}
