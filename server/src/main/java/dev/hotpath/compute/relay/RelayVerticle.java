package dev.hotpath.compute.relay;

import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.DatabaseCoordinates;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

/**
 * The relay as a part of a running server: started when deployed, stopped (after its round in
 * progress) when undeployed. Deployed only when {@code HOTPATH_KAFKA_BOOTSTRAP} is set, so a server
 * without it loads no Kafka class.
 */
public final class RelayVerticle extends VerticleBase {
  private final Relay relay;
  private final Duration grace;

  private RelayVerticle(Relay relay, Duration grace) {
    this.relay = relay;
    this.grace = grace;
  }

  /** The relay of this process, its metrics registered in {@code registry}. */
  public static Deployable create(
      RelaySettings settings,
      DatabaseCoordinates database,
      MeterRegistry registry,
      Duration grace) {
    Relay relay =
        new Relay(
                settings,
                database,
                ManagementFactory.getRuntimeMXBean().getName(),
                Clock.systemUTC(),
                new SecureRandom())
            .bind(registry);
    return new RelayVerticle(relay, grace);
  }

  @Override
  public Future<?> start() {
    relay.start();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(
        () -> {
          relay.stop(grace);
          return null;
        });
  }
}
