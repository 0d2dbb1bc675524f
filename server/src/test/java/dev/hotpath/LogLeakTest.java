package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.SecretScanner;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Runs after every other test class and checks every log line the whole run wrote (application and
 * access logs, through {@link SecretScanner}) for tokens, bearer credentials, credentials in URLs
 * and private key material.
 */
@Order(Integer.MAX_VALUE)
class LogLeakTest {
  @Test
  void noLogLineOfTheWholeTestRunHoldsATokenOrSecret() {
    TestServer server = TestServer.get();
    // requests with tokens, so that even a run of this class alone has something to scan
    server.api().get("/v1/customers?limit=1");
    server.api().as(Tokens.get().builder().badSignature()).get("/v1/orders/1");

    String canary = "canary-" + System.nanoTime();
    LoggerFactory.getLogger(LogLeakTest.class)
        .info("{} {}", canary, Tokens.get().builder().sub("canary").es256());
    assertThat(SecretScanner.findings())
        .as("the scanner sees a token that is logged")
        .anySatisfy(f -> assertThat(f).contains(canary));
    SecretScanner.forget(canary);

    assertThat(SecretScanner.scanned()).isGreaterThan(2);
    assertThat(SecretScanner.findings()).isEmpty();
  }
}
