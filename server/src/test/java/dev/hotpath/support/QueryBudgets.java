package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The N+1 guard: reads the query count a response reports in {@code Server-Timing} and fails when
 * it exceeds the budget its operation declares ({@code x-query-budget} in the contract).
 */
public final class QueryBudgets {
  private static final Pattern DB = Pattern.compile("db;dur=[0-9.]+;desc=\"(\\d+) queries\"");

  private QueryBudgets() {}

  public static OptionalInt queries(String serverTiming) {
    if (serverTiming == null) {
      return OptionalInt.empty();
    }
    Matcher m = DB.matcher(serverTiming);
    return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }

  public static void assertWithin(String where, String serverTiming, int budget) {
    OptionalInt queries = queries(serverTiming);
    assertThat(queries)
        .as(where + ": Server-Timing must report the query count: " + serverTiming)
        .isPresent();
    assertThat(queries.getAsInt())
        .as(
            where
                + ": made "
                + queries.getAsInt()
                + " database queries, over its budget of "
                + budget)
        .isLessThanOrEqualTo(budget);
  }
}
