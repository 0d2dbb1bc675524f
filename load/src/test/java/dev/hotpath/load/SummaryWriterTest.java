package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SummaryWriterTest {
  private static Summary summary() {
    SloSet slos =
        new SloSet(
            Map.of(
                RequestClass.READS, new Slo(RequestClass.READS, 100, 200),
                RequestClass.WRITES, new Slo(RequestClass.WRITES, 200, 500)));
    KneeFinder finder = new KneeFinder(slos, 0.01);
    List<StepResult> results = new ArrayList<>();
    double[][] p = {{10, 20, 30, 60}, {12, 30, 40, 80}, {20, 40, 400, 900}};
    for (int i = 0; i < p.length; i++) {
      double rate = 100 * Math.pow(1.1, i);
      Step step =
          new Step(
              i,
              "step " + (i + 1),
              rate,
              Duration.ofSeconds(10L * i),
              Duration.ofSeconds(10),
              true);
      results.add(
          new StepResult(
              step,
              Map.of(
                  RequestClass.READS,
                  ClassStats.synthetic(600, 0, rate * .6, p[i][0], p[i][1]),
                  RequestClass.WRITES,
                  new ClassStats(
                      300,
                      290,
                      10,
                      0,
                      rate * .3,
                      5,
                      p[i][2],
                      p[i][3],
                      p[i][3],
                      Map.of(201, 290L, 422, 10L)))));
    }
    List<Resources.Reading> readings =
        List.of(
            new Resources.Reading("CPU (process)", "process_cpu_usage", true, "95%", 1.12),
            new Resources.Reading(
                "Job queue depth", "hotpath_jobs_depth", false, "not exposed", 0));
    return new Summary(
        Profile.RAMP,
        "http://localhost:8080",
        "ops/slo.yaml",
        0.01,
        Instant.parse("2026-11-22T10:00:00Z"),
        results,
        results.stream().map(finder::judge).toList(),
        results.stream().map(r -> readings).toList(),
        finder.find(results),
        readings,
        0.3,
        "exposed at http://localhost:8080/metrics",
        Optional.of("SLO broke at step 3 (writes)"),
        Optional.empty());
  }

  @Test
  void terminalSummaryNamesTheKneeTheClassThatBentAndTheSaturatedResource() {
    String text = SummaryWriter.text(summary());

    assertThat(text)
        .contains("every SLO held up to step 2 at 110.0 req/s")
        .contains("writes bent first, at step 3 (121.0 req/s)")
        .contains("saturated: CPU (process) (95%)")
        .contains("not exposed: Job queue depth")
        .contains("422 x 30 (writes)");
  }

  @Test
  void jsonSummaryCarriesTheKneeAndEveryStep() throws Exception {
    JsonNode json = new ObjectMapper().readTree(SummaryWriter.json(summary()));

    assertThat(json.path("breached").asBoolean()).isTrue();
    assertThat(json.path("knee").path("bent_first").asText()).isEqualTo("writes");
    assertThat(json.path("knee").path("last_held_step").path("label").asText()).isEqualTo("step 2");
    assertThat(json.path("knee").path("resources").path("saturated").asText())
        .isEqualTo("CPU (process)");
    assertThat(json.path("steps")).hasSize(3);
    assertThat(json.path("steps").get(2).path("classes").path("writes").path("verdict").asText())
        .isEqualTo("breached");
  }

  @Test
  void htmlSummaryIsSelfContainedWithAnInlineChart() {
    String html = SummaryWriter.html(summary());

    assertThat(html).contains("<svg").contains("<polyline").contains("writes bent first");
    assertThat(html)
        .doesNotContain("<script")
        .doesNotContain("http://cdn")
        .doesNotContain("https://");
  }
}
