package dev.hotpath.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.client.invoker.ApiClient;
import dev.hotpath.client.invoker.ApiException;
import dev.hotpath.client.model.Problem;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Entry points around the generated client: an {@link ApiClient} that sends a bearer token with
 * every request, and {@link #call} that turns error answers into {@link ProblemException}s.
 */
public final class Hotpath {
  private static final ObjectMapper MAPPER = ApiClient.createDefaultObjectMapper();

  private Hotpath() {}

  /**
   * A client of the server at {@code baseUri} (for example {@code http://localhost:8080}) that asks
   * {@code token} for the bearer token of each request (so a refreshed token is picked up).
   */
  public static ApiClient client(String baseUri, Supplier<String> token) {
    ApiClient client =
        new ApiClient(
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)),
            ApiClient.createDefaultObjectMapper(),
            baseUri);
    client.setReadTimeout(Duration.ofSeconds(30));
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token.get()));
    return client;
  }

  /** A call of the generated API. */
  @FunctionalInterface
  public interface Call<T> {
    T run() throws ApiException;
  }

  /**
   * Runs {@code call}; an answer with a problem body is thrown as a {@link ProblemException}, any
   * other failure (a {@code 304 Not Modified}, which has no body; a broken connection) as the
   * {@link ApiException} the generated client threw.
   */
  public static <T> T call(Call<T> call) throws ApiException {
    try {
      return call.run();
    } catch (ApiException e) {
      String type =
          e.getResponseHeaders() == null
              ? ""
              : e.getResponseHeaders().firstValue("Content-Type").orElse("");
      if (!type.startsWith("application/problem+json") || e.getResponseBody() == null) {
        throw e;
      }
      Problem problem;
      try {
        problem = MAPPER.readValue(e.getResponseBody(), Problem.class);
      } catch (IOException unreadable) {
        e.addSuppressed(unreadable);
        throw e;
      }
      throw new ProblemException(e, problem);
    }
  }
}
