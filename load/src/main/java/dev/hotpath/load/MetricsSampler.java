package dev.hotpath.load;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads the target's {@code /metrics} every {@code every} during a run, and this process's own CPU
 * (the load generator must not be the bottleneck). When {@code /metrics} is missing (404) or
 * unreachable, it stops asking and says so; the load generator's CPU is still sampled.
 */
public final class MetricsSampler implements AutoCloseable {
  /** One reading: wall-clock time, the target's metrics (empty when not exposed), our own CPU. */
  public record Sample(long atMillis, Map<String, Double> values, double loadGeneratorCpu) {
    public Sample {
      values = Map.copyOf(values);
    }
  }

  private final URI metrics;
  private final Duration every;
  private final HttpClient client;
  private final List<Sample> samples = new ArrayList<>();
  private volatile String exposure = "not read yet";
  private volatile boolean exposed = true;
  private ScheduledExecutorService timer;

  public MetricsSampler(URI target, Duration every) {
    this.metrics = target.resolve("/metrics");
    this.every = every;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  public void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hotpath-metrics-sampler");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(this::sampleOnce, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  void sampleOnce() {
    Map<String, Double> values = Map.of();
    if (exposed) {
      try {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          values = PrometheusText.parse(r.body());
          exposure = "exposed at " + metrics;
        } else {
          exposed = false;
          exposure = "not exposed (" + metrics + " answered " + r.statusCode() + ")";
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        exposed = false;
        exposure = "not exposed (" + metrics + " unreachable: " + e + ")";
      }
    }
    Sample s = new Sample(System.currentTimeMillis(), values, ownCpu());
    synchronized (samples) {
      samples.add(s);
    }
  }

  private static double ownCpu() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      double load = os.getProcessCpuLoad();
      return load < 0 ? 0 : load;
    }
    return 0;
  }

  public List<Sample> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  /** Whether the target exposes {@code /metrics}, in words for the report. */
  public String exposure() {
    return exposure;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
