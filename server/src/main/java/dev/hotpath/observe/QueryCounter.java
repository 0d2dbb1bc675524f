package dev.hotpath.observe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the statements this process sends to the database, per SQL text, as they are sent.
 * Thread-safe; counting is a map lookup and an uncontended add.
 */
public final class QueryCounter {
  private final Map<String, LongAdder> bySql = new ConcurrentHashMap<>();

  /** Notes that {@code sql} is being executed once. */
  public void record(String sql) {
    bySql.computeIfAbsent(sql, s -> new LongAdder()).increment();
  }

  /** How many times {@code sql} has been executed. */
  public long count(String sql) {
    LongAdder n = bySql.get(sql);
    return n == null ? 0 : n.sum();
  }

  /** Executions of every statement. */
  public long total() {
    long total = 0;
    for (LongAdder n : bySql.values()) {
      total += n.sum();
    }
    return total;
  }

  /** Executions per statement, sorted by SQL text. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    bySql.forEach((sql, n) -> copy.put(sql, n.sum()));
    return copy;
  }
}
