package dev.hotpath.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Collects every request of a run into its step (by the time it started, so a slow answer counts
 * against the load that caused it) and its class. Thread-safe: Gatling's event loops record
 * concurrently; each step-class cell locks only itself.
 */
public final class Recorder {
  private final List<Step> steps;
  private final Cell[][] cells;
  private volatile long startMillis = -1;
  private volatile boolean anchored;
  private final AtomicReference<String> stopReason = new AtomicReference<>();

  public Recorder(List<Step> steps) {
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("a run needs at least one step");
    }
    this.steps = List.copyOf(steps);
    this.cells = new Cell[steps.size()][RequestClass.values().length];
    for (Cell[] row : cells) {
      for (int c = 0; c < row.length; c++) {
        row[c] = new Cell();
      }
    }
  }

  /** Marks the moment injection starts (wall clock, ms); steps are offsets from it. */
  public void markStart(long epochMillis) {
    startMillis = epochMillis;
  }

  /**
   * Notes a user's arrival (wall clock, ms): the first one re-anchors the steps, as Gatling may
   * start injecting a little after {@link #markStart} was called.
   */
  public void arrived(long epochMillis) {
    if (!anchored) {
      synchronized (this) {
        if (!anchored) {
          startMillis = epochMillis;
          anchored = true;
        }
      }
    }
  }

  public long startMillis() {
    return startMillis;
  }

  public List<Step> steps() {
    return steps;
  }

  /** Records one request that started at {@code startedAtMillis} (wall clock). */
  public void record(RequestClass c, long startedAtMillis, int latencyMs, int status) {
    long offset = startMillis < 0 ? 0 : startedAtMillis - startMillis;
    cells[stepAt(offset)][c.ordinal()].add(Math.max(0, latencyMs), status);
  }

  int stepAt(long offsetMillis) {
    for (int i = steps.size() - 1; i >= 0; i--) {
      if (offsetMillis >= steps.get(i).offset().toMillis()) {
        return i;
      }
    }
    return 0;
  }

  /** What step {@code index} measured so far. */
  public StepResult result(int index) {
    Step step = steps.get(index);
    Map<RequestClass, ClassStats> classes = new EnumMap<>(RequestClass.class);
    for (RequestClass c : RequestClass.values()) {
      cells[index][c.ordinal()]
          .stats(step.duration().toMillis() / 1000.0)
          .ifPresent(s -> classes.put(c, s));
    }
    return new StepResult(step, classes);
  }

  /** Every step that measured at least one request, in order. */
  public List<StepResult> results() {
    List<StepResult> out = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      StepResult r = result(i);
      if (r.count() > 0) {
        out.add(r);
      }
    }
    return out;
  }

  /** Asks the injector to stop (the first reason wins). */
  public void requestStop(String reason) {
    stopReason.compareAndSet(null, reason);
  }

  public Optional<String> stopReason() {
    return Optional.ofNullable(stopReason.get());
  }

  private static final class Cell {
    private int[] latencies = new int[64];
    private int size;
    private long ok;
    private long business;
    private long errors;
    private final Map<Integer, Long> statuses = new HashMap<>();

    synchronized void add(int latencyMs, int status) {
      statuses.merge(status, 1L, Long::sum);
      switch (Outcome.of(status)) {
        case OK -> ok++;
        case BUSINESS -> business++;
        case ERROR -> {
          errors++;
          return;
        }
      }
      if (size == latencies.length) {
        latencies = java.util.Arrays.copyOf(latencies, size * 2);
      }
      latencies[size++] = latencyMs;
    }

    synchronized Optional<ClassStats> stats(double seconds) {
      if (ok + business + errors == 0) {
        return Optional.empty();
      }
      return Optional.of(
          ClassStats.of(
              java.util.Arrays.copyOf(latencies, size), ok, business, errors, seconds, statuses));
    }
  }
}
