package dev.hotpath.compute;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The job kinds this process runs, and their handlers. Workers claim only kinds registered here, so
 * instances with different handlers can share one queue. Thread-safe; handlers may be added while
 * workers run.
 */
public final class JobHandlers {
  private final Map<String, JobHandler> handlers = new ConcurrentHashMap<>();

  public JobHandlers register(String kind, JobHandler handler) {
    if (handlers.putIfAbsent(kind, handler) != null) {
      throw new IllegalStateException("a handler for job kind " + kind + " is already registered");
    }
    return this;
  }

  public Optional<JobHandler> get(String kind) {
    return Optional.ofNullable(handlers.get(kind));
  }

  public List<String> kinds() {
    return List.copyOf(handlers.keySet());
  }
}
