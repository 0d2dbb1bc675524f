package dev.hotpath.edge;

import dev.hotpath.App;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link PreparedReadTest} against an instance with the default transport (no h2c), where the
 * connection's request decoder is {@link PreparedRead.Decoder} (the suite's server speaks h2c,
 * where Vert.x's decoder stays): the same answers, byte for byte, and the same refusals.
 */
class PreparedReadWithoutH2cTest extends PreparedReadTest {
  private static App plain;

  @BeforeAll
  static void startAnInstanceWithoutH2c() {
    plain = App.start(server.secondInstance(Map.of("HOTPATH_H2C", "off")));
  }

  @AfterAll
  static void stop() {
    plain.close();
  }

  @Override
  App app() {
    return plain;
  }
}
