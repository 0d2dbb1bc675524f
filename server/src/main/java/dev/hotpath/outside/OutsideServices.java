package dev.hotpath.outside;

import dev.hotpath.config.OutsideSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The outside services of one process: a {@link Dependency} (breaker, budgets, latency, last good
 * answers, metrics) per configured service, shared by every event loop. Each event loop makes its
 * own {@link OutsideClient} (connections) from it. Thread-safe.
 */
public final class OutsideServices {
  private final OutsideSettings settings;
  private final Map<Service, Dependency> dependencies = new EnumMap<>(Service.class);

  public OutsideServices(OutsideSettings settings, MeterRegistry registry) {
    this.settings = settings;
    url(settings, Service.PAYMENTS)
        .ifPresent(
            u ->
                dependencies.put(
                    Service.PAYMENTS, new Dependency(Service.PAYMENTS, u, settings, registry)));
    url(settings, Service.REVIEWS)
        .ifPresent(
            u ->
                dependencies.put(
                    Service.REVIEWS, new Dependency(Service.REVIEWS, u, settings, registry)));
    url(settings, Service.RECOMMENDATIONS)
        .ifPresent(
            u ->
                dependencies.put(
                    Service.RECOMMENDATIONS,
                    new Dependency(Service.RECOMMENDATIONS, u, settings, registry)));
  }

  private static Optional<URI> url(OutsideSettings settings, Service service) {
    return switch (service) {
      case PAYMENTS -> settings.paymentsUrl();
      case REVIEWS -> settings.reviewsUrl();
      case RECOMMENDATIONS -> settings.recommendationsUrl();
    };
  }

  public OutsideSettings settings() {
    return settings;
  }

  /** The service, when its URL is configured. */
  public Optional<Dependency> get(Service service) {
    return Optional.ofNullable(dependencies.get(service));
  }
}
