package dev.hotpath.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Tokens;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class JwksTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicLong fetches = new AtomicLong();
  private final AtomicReference<String> document = new AtomicReference<>();

  private int published;

  private Jwks jwks() throws Exception {
    document.set(Files.readString(Tokens.get().jwksFile()));
    published = KeySet.parse(document.get()).size();
    return new Jwks(
        () -> {
          fetches.incrementAndGet();
          String doc = document.get();
          if (doc == null) {
            throw new IOException("unreachable");
          }
          return doc;
        },
        "test",
        Duration.ofSeconds(10),
        clock::get);
  }

  @Test
  void reloadsOnDemandAtMostOncePerFloor() throws Exception {
    try (Jwks jwks = jwks()) {
      assertThat(jwks.reloadIfAllowed().get(5, TimeUnit.SECONDS).size()).isEqualTo(published);
      assertThat(fetches.get()).isEqualTo(1);
      clock.addAndGet(TimeUnit.SECONDS.toNanos(9));
      for (int i = 0; i < 50; i++) {
        assertThat(jwks.reloadIfAllowed().get(5, TimeUnit.SECONDS).size()).isEqualTo(published);
      }
      assertThat(fetches.get()).as("within the floor: no load").isEqualTo(1);
      clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
      jwks.reloadIfAllowed().get(5, TimeUnit.SECONDS);
      assertThat(fetches.get()).isEqualTo(2);
      assertThat(jwks.loads()).isEqualTo(2);
    }
  }

  @Test
  void aFailedReloadKeepsTheKeysHeld() throws Exception {
    try (Jwks jwks = jwks()) {
      jwks.reloadIfAllowed().get(5, TimeUnit.SECONDS);
      document.set(null);
      clock.addAndGet(TimeUnit.SECONDS.toNanos(11));
      assertThat(jwks.reloadIfAllowed().get(5, TimeUnit.SECONDS).size()).isEqualTo(published);
      assertThat(jwks.current().size()).isEqualTo(published);
      assertThat(fetches.get()).isEqualTo(2);
    }
  }

  @Test
  void startUpFailsWithOneLineWhenTheKeysCannotBeRead() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Jwks.open("/nonexistent/jwks.json", Duration.ofMinutes(5), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the JWKS at /nonexistent/jwks.json could not be loaded");
  }
}
