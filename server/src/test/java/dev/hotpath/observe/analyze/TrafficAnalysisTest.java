package dev.hotpath.observe.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TrafficAnalysisTest {
  private static TrafficAnalysis analyse(AccessLogLines log) throws IOException {
    return TrafficAnalysis.of(new BufferedReader(new StringReader(log.text())));
  }

  @Test
  void separatesEachKindOfNoiseFromBusinessTraffic() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    assertThat(a.requests()).isEqualTo(18);
    assertThat(a.business()).isEqualTo(10);
    assertThat(a.noise()).isEqualTo(8);
    Map<Noise, Long> byKind =
        a.noiseKinds(5).stream()
            .collect(
                Collectors.toMap(TrafficAnalysis.NoiseRow::kind, TrafficAnalysis.NoiseRow::count));
    assertThat(byKind)
        .containsEntry(Noise.MALFORMED, 2L)
        .containsEntry(Noise.SCANNER, 2L)
        .containsEntry(Noise.BOT, 2L)
        .containsEntry(Noise.RETRY, 2L);
  }

  @Test
  void namesWhereEachKindOfNoiseCameFrom() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    Map<Noise, TrafficAnalysis.NoiseRow> rows =
        a.noiseKinds(5).stream().collect(Collectors.toMap(TrafficAnalysis.NoiseRow::kind, r -> r));
    assertThat(rows.get(Noise.SCANNER).sources())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("/wp-admin/setup-config.php", "/.env");
    assertThat(rows.get(Noise.BOT).sources())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("Mozilla/5.0 (compatible; AhrefsBot/7.0)", "(no user agent)");
    assertThat(rows.get(Noise.RETRY).sources()).containsExactly(Map.entry("POST /v1/orders", 2L));
  }

  @Test
  void skipsLinesThatAreNotJsonOrNotFromTheAccessLogger() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    assertThat(a.lines()).isEqualTo(23);
    assertThat(a.notJson()).isEqualTo(4);
    assertThat(a.notAccess()).isEqualTo(1);
  }

  @Test
  void breaksBusinessTrafficDownByRouteTemplateBusiestFirst() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    assertThat(a.routes())
        .extracting(TrafficAnalysis.RouteRow::route, TrafficAnalysis.RouteRow::count)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("GET /v1/orders/:id", 4L),
            org.assertj.core.groups.Tuple.tuple("POST /v1/orders", 3L),
            org.assertj.core.groups.Tuple.tuple("GET /v1/customers/:id", 1L),
            org.assertj.core.groups.Tuple.tuple("GET /v1/products", 1L),
            org.assertj.core.groups.Tuple.tuple("POST /v1/customers", 1L));
    TrafficAnalysis.RouteRow orders = a.routes().get(0);
    assertThat(orders.clientErrors()).isEqualTo(1);
    assertThat(orders.p99()).isBetween(147.0, 153.0);
    assertThat(orders.cacheHitRatio()).isEqualTo(1.0);
    TrafficAnalysis.RouteRow placed = a.routes().get(1);
    assertThat(placed.serverErrors()).isEqualTo(1);
    assertThat(placed.clientErrors()).isEqualTo(1);
  }

  @Test
  void splitsStatusClassesAndPayloadTypesIntoBusinessAndNoise() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    assertThat(a.statusClasses())
        .containsEntry("2xx", new TrafficAnalysis.Split(6, 1))
        .containsEntry("4xx", new TrafficAnalysis.Split(3, 7))
        .containsEntry("5xx", new TrafficAnalysis.Split(1, 0));
    assertThat(a.payloadTypes())
        .containsEntry("none", new TrafficAnalysis.Split(6, 4))
        .containsEntry("application/json", new TrafficAnalysis.Split(4, 3))
        .containsEntry("text/plain", new TrafficAnalysis.Split(0, 1));
  }

  @Test
  void putsEveryRequestInItsLatencyBand() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    Map<LatencyBand, TrafficAnalysis.Split> bands = a.latencyBands();
    assertThat(bands.get(LatencyBand.UNDER_10)).isEqualTo(new TrafficAnalysis.Split(3, 8));
    assertThat(bands.get(LatencyBand.UNDER_50)).isEqualTo(new TrafficAnalysis.Split(3, 0));
    assertThat(bands.get(LatencyBand.UNDER_100)).isEqualTo(new TrafficAnalysis.Split(1, 0));
    assertThat(bands.get(LatencyBand.UNDER_250)).isEqualTo(new TrafficAnalysis.Split(1, 0));
    assertThat(bands.get(LatencyBand.UNDER_1000)).isEqualTo(new TrafficAnalysis.Split(1, 0));
    assertThat(bands.get(LatencyBand.OVER_1000)).isEqualTo(new TrafficAnalysis.Split(1, 0));
  }

  @Test
  void countsRequestsPerMinuteIncludingQuietMinutes() throws IOException {
    TrafficAnalysis a = analyse(AccessLogLines.sample());

    assertThat(a.minutes())
        .containsExactly(
            new TrafficAnalysis.MinuteRow(Instant.parse("2026-11-22T10:00:00Z"), 8, 6, 0),
            new TrafficAnalysis.MinuteRow(Instant.parse("2026-11-22T10:01:00Z"), 0, 2, 0),
            new TrafficAnalysis.MinuteRow(Instant.parse("2026-11-22T10:02:00Z"), 2, 0, 1));
  }

  @Test
  void countsOnlyTheSecondAndLaterUsesOfAnIdempotencyKeyAsRetries() {
    NoiseFilter filter = new NoiseFilter(100);
    AccessLogParser parser = new AccessLogParser();
    AccessLogLines log =
        new AccessLogLines()
            .access(
                "2026-11-22T10:00:00Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "same",
                "application/json",
                null)
            .access(
                "2026-11-22T10:00:01Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "same",
                "application/json",
                null)
            .access(
                "2026-11-22T10:00:02Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "other",
                "application/json",
                null);

    assertThat(
            log.lines().stream().map(l -> filter.classify(parser.parse(l).record().orElseThrow())))
        .containsExactly(
            java.util.Optional.empty(),
            java.util.Optional.of(Noise.RETRY),
            java.util.Optional.empty());
  }

  @Test
  void forgetsTheOldestIdempotencyKeysBeyondItsMemory() {
    NoiseFilter filter = new NoiseFilter(1);
    AccessLogParser parser = new AccessLogParser();
    AccessLogLines log =
        new AccessLogLines()
            .access(
                "2026-11-22T10:00:00Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "k1",
                null,
                null)
            .access(
                "2026-11-22T10:00:01Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "k2",
                null,
                null)
            .access(
                "2026-11-22T10:00:02Z",
                "POST",
                "/v1/orders",
                "/v1/orders",
                201,
                5,
                "a",
                "k1",
                null,
                null);

    assertThat(
            log.lines().stream().map(l -> filter.classify(parser.parse(l).record().orElseThrow())))
        .allSatisfy(kind -> assertThat(kind).isEmpty());
  }

  @Test
  void keepsAtMostAThousandRoutesAndCountsTheRestAsOther() {
    TrafficAnalysis a = new TrafficAnalysis(new NoiseFilter(10));
    AccessLogLines log = new AccessLogLines();
    for (int i = 0; i < TrafficAnalysis.MAX_KEYS + 5; i++) {
      log.get("2026-11-22T10:00:00Z", "/v1/r" + i, "/v1/r" + i, 200, 1);
    }
    log.lines().forEach(a::accept);

    assertThat(a.routes()).hasSize(TrafficAnalysis.MAX_KEYS + 1);
    assertThat(a.routes().get(0).route()).isEqualTo("(other)");
    assertThat(a.routes().get(0).count()).isEqualTo(5);
  }

  @Test
  void readsAccessLinesThatNameNoLoggerAsTheServerWritesThem() {
    AccessLogParser parser = new AccessLogParser();
    String server =
        new AccessLogLines()
            .get("2026-11-22T10:00:01.000Z", "/v1/orders/:id", "/v1/orders/1", 200, 4.2)
            .lines()
            .get(0);

    assertThat(server).doesNotContain("logger");
    assertThat(parser.parse(server).record()).map(AccessRecord::status).contains(200);
    assertThat(
            parser
                .parse(
                    "{\"logger\":\"access\",\"method\":\"GET\",\"status\":204,"
                        + "\"duration_ms\":1.5}")
                .record())
        .map(AccessRecord::status)
        .contains(204);
    assertThat(
            parser.parse("{\"logger\":\"dev.hotpath.App\",\"status\":1,\"duration_ms\":1}").skip())
        .contains(AccessLogParser.Skip.NOT_ACCESS);
    assertThat(parser.parse("{\"message\":\"no status, no duration\"}").skip())
        .contains(AccessLogParser.Skip.NOT_ACCESS);
  }

  @Test
  void countsASampledLineAsTheRequestsItStandsFor() {
    TrafficAnalysis a = new TrafficAnalysis(new NoiseFilter(10));
    String line =
        new AccessLogLines()
            .get("2026-11-22T10:00:01.000Z", "/v1/orders/:id", "/v1/orders/1", 200, 0.4)
            .lines()
            .get(0);
    a.accept(line.substring(0, line.length() - 1) + ",\"sample\":100}");
    a.accept(line);

    assertThat(a.lines()).isEqualTo(2);
    assertThat(a.requests()).isEqualTo(101);
    assertThat(a.business()).isEqualTo(101);
    assertThat(a.sampledLines()).isEqualTo(1);
    assertThat(a.routes()).singleElement().satisfies(r -> assertThat(r.count()).isEqualTo(101));
    assertThat(a.statusClasses()).containsEntry("2xx", new TrafficAnalysis.Split(101, 0));
    assertThat(a.latencyBands().get(LatencyBand.UNDER_10))
        .isEqualTo(new TrafficAnalysis.Split(101, 0));
    assertThat(a.minutes())
        .containsExactly(
            new TrafficAnalysis.MinuteRow(Instant.parse("2026-11-22T10:00:00Z"), 101, 0, 0));
  }

  @Test
  void printsSubMillisecondLatenciesWithTwoSignificantDigits() {
    assertThat(TrafficReport.ms(0.4123)).isEqualTo("0.41");
    assertThat(TrafficReport.ms(0.0123)).isEqualTo("0.012");
    assertThat(TrafficReport.ms(4.25)).isEqualTo("4.3");
    assertThat(TrafficReport.ms(0)).isEqualTo("0.0");
    assertThat(TrafficReport.ms(250)).isEqualTo("250");
  }
}
