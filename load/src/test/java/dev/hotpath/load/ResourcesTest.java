package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourcesTest {
  private static final String EXPOSITION =
      """
      # HELP process_cpu_usage The "recent cpu usage" for the JVM process
      # TYPE process_cpu_usage gauge
      process_cpu_usage 0.93
      system_cpu_usage 0.97
      hotpath_db_pool_in_use{pool="hotpath-1"} 4.0
      hotpath_db_pool_in_use{pool="hotpath-2"} 3.0
      hotpath_db_pool_waiting{pool="a b}"} 0.0
      hotpath_db_pool_wait_seconds_count 100
      hotpath_db_pool_wait_seconds_sum 0.05
      hotpath_db_pool_wait_seconds_max{pool="1"} 0.004
      hotpath_db_pool_wait_seconds_max{pool="2"} 0.009
      http_server_requests_seconds_bucket{method="GET",route="/v1/orders/:id",status="200",le="+Inf"} 12
      """;

  @Test
  void sumsSeriesOverLabelsAndTakesTheLargestMax() {
    Map<String, Double> values = PrometheusText.parse(EXPOSITION);

    assertThat(values)
        .containsEntry("process_cpu_usage", 0.93)
        .containsEntry("hotpath_db_pool_in_use", 7.0)
        .containsEntry("hotpath_db_pool_waiting", 0.0)
        .containsEntry("hotpath_db_pool_wait_seconds_max", 0.009)
        .containsEntry("http_server_requests_seconds_bucket", 12.0);
  }

  @Test
  void namesCpuAsSaturatedWhenItIsFurthestPastItsPoint() {
    Map<String, Double> first = PrometheusText.parse(EXPOSITION);
    Map<String, Double> later = new java.util.HashMap<>(first);
    later.put("hotpath_db_pool_wait_seconds_count", 200.0);
    later.put("hotpath_db_pool_wait_seconds_sum", 0.15); // 1 ms per acquisition in between
    List<MetricsSampler.Sample> window =
        List.of(
            new MetricsSampler.Sample(0, first, 0.2), new MetricsSampler.Sample(2_000, later, 0.2));

    List<Resources.Reading> readings = Resources.read(window);

    assertThat(Resources.saturated(readings))
        .map(Resources.Reading::name)
        .contains("CPU (process)");
    assertThat(readings)
        .filteredOn(r -> r.name().equals("DB pool wait"))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isEqualTo("1.00 ms per acquisition"));
    assertThat(readings)
        .filteredOn(r -> r.name().equals("Requests shed"))
        .singleElement()
        .satisfies(r -> assertThat(r.exposed()).isFalse());
  }

  @Test
  void saysNotExposedForEveryResourceWhenTheTargetHasNoMetrics() {
    List<MetricsSampler.Sample> window =
        List.of(
            new MetricsSampler.Sample(0, Map.of(), 0.1),
            new MetricsSampler.Sample(1, Map.of(), 0.1));

    List<Resources.Reading> readings = Resources.read(window);

    assertThat(readings).allSatisfy(r -> assertThat(r.value()).isEqualTo("not exposed"));
    assertThat(Resources.saturated(readings)).isEmpty();
  }

  @Test
  void namesSheddingAsSaturatedWhenTheServerRefusedRequestsInTheWindow() {
    List<MetricsSampler.Sample> window =
        List.of(
            new MetricsSampler.Sample(
                0, Map.of("hotpath_admission_shed_total", 20.0, "process_cpu_usage", 0.3), 0),
            new MetricsSampler.Sample(
                1, Map.of("hotpath_admission_shed_total", 450.0, "process_cpu_usage", 0.3), 0));

    assertThat(Resources.saturated(Resources.read(window)))
        .map(Resources.Reading::value)
        .contains("430");
  }

  @Test
  void namesAdmissionAsSaturatedWhenInFlightNearsTheLimit() {
    Map<String, Double> values =
        Map.of("hotpath_admission_in_flight", 98.0, "hotpath_admission_limit", 100.0);
    List<MetricsSampler.Sample> window =
        List.of(new MetricsSampler.Sample(0, values, 0), new MetricsSampler.Sample(1, values, 0));

    assertThat(Resources.saturated(Resources.read(window)))
        .map(Resources.Reading::name)
        .contains("Admission (in flight of limit)");
  }
}
