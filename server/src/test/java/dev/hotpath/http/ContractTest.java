package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContractTest {
  private static final Path SPEC = Path.of("..", "api", "openapi.yaml");

  @Test
  void theContractParsesWithoutErrors() throws Exception {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result =
        new OpenAPIParser().readContents(Files.readString(SPEC), null, options);
    assertThat(result.getMessages()).isEmpty();
    assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1");
    assertThat(result.getOpenAPI().getPaths())
        .containsKeys(
            "/v1/customers",
            "/v1/customers/{id}",
            "/v1/customers/batch-get",
            "/v1/customers/{id}/orders",
            "/v1/products",
            "/v1/products/{id}",
            "/v1/orders",
            "/v1/orders/{id}",
            "/health/live",
            "/health/ready");
  }

  @Test
  void everyEnumOfAStringSchemaHoldsStringsAsTheServerReadsIt() throws Exception {
    // YAML 1.1 reads a bare OFF, ON, YES or NO as a boolean: the log-level enum once held false,
    // and PUT /admin/log-level {"level":"OFF"} was refused by the contract it was listed in
    List<String> wrong = new ArrayList<>();
    enums(Contract.load().document(), "", wrong);
    assertThat(wrong).isEmpty();
  }

  private static void enums(JsonNode node, String at, List<String> wrong) {
    if (node.isObject()) {
      JsonNode values = node.get("enum");
      JsonNode type = node.get("type");
      boolean string =
          type != null
              && (type.asText().equals("string")
                  || type.isArray() && type.toString().contains("\"string\""));
      if (string && values != null && values.isArray()) {
        for (JsonNode v : values) {
          if (!v.isTextual() && !v.isNull()) {
            wrong.add(at + "/enum: " + v + " (" + v.getNodeType() + ")");
          }
        }
      }
      node.properties().forEach(e -> enums(e.getValue(), at + "/" + e.getKey(), wrong));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        enums(node.get(i), at + "/" + i, wrong);
      }
    }
  }

  @Test
  void everyOperationHasAnIdAndEveryErrorIsAProblem() throws Exception {
    SwaggerParseResult result =
        new OpenAPIParser().readContents(Files.readString(SPEC), null, new ParseOptions());
    result
        .getOpenAPI()
        .getPaths()
        .forEach(
            (path, item) ->
                item.readOperations()
                    .forEach(
                        op -> {
                          assertThat(op.getOperationId()).as(path).isNotBlank();
                          op.getResponses()
                              .forEach(
                                  (status, response) -> {
                                    if (status.startsWith("4")
                                        || (status.startsWith("5")
                                            && !path.startsWith("/health"))) {
                                      assertThat(response.get$ref())
                                          .as(path + " " + status)
                                          .startsWith("#/components/responses/");
                                    }
                                  });
                        }));
  }

  @Test
  void theServerServesTheContractAndTheDocsPage() throws Exception {
    Api api = TestServer.get().api();
    Api.Response yaml = api.get("/openapi.yaml");
    assertThat(yaml.status()).isEqualTo(200);
    assertThat(yaml.body()).isEqualTo(Files.readString(SPEC));
    Api.Response docs = api.get("/docs");
    assertThat(docs.status()).isEqualTo(200);
    assertThat(docs.body()).contains("swagger-ui-bundle.js").contains("/docs/init.js");
    assertThat(docs.body()).as("no inline script").doesNotContainPattern("<script>");
    assertThat(docs.header("Content-Security-Policy"))
        .hasValueSatisfying(
            csp ->
                assertThat(csp)
                    .contains("script-src 'self';")
                    .contains("connect-src 'self'")
                    .doesNotContain("'unsafe-eval'"));
    Api.Response init = api.get("/docs/init.js");
    assertThat(init.contentType()).startsWith("text/javascript");
    assertThat(init.body()).contains("SwaggerUIBundle").contains("/openapi.yaml");
    // static assets of the docs page are not API routes, so they are fetched outside the contract
    // check; their URL names the Swagger UI version (see DocsTest)
    var bundleUrl =
        java.util.regex.Pattern.compile("src=\"(/docs/assets/[^\"]+/swagger-ui-bundle\\.js)\"")
            .matcher(docs.body());
    assertThat(bundleUrl.find()).as(docs.body()).isTrue();
    var bundle =
        api.client()
            .send(
                api.request(bundleUrl.group(1)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.body().length()).isGreaterThan(100_000);
  }

  @Test
  void everyProblemTypeTheServerSendsIsListedInTheContract() throws Exception {
    String spec = Files.readString(SPEC).replaceAll("\\s+", " ");
    int at = spec.indexOf("https://hotpath.dev/problems/{");
    assertThat(at).isPositive();
    String list = spec.substring(at, spec.indexOf('}', at));
    for (ProblemType type : ProblemType.values()) {
      String slug = type.uri().substring(ProblemType.BASE.length());
      assertThat(list)
          .as(type + " listed in the Problem schema")
          .containsPattern("[{ ]" + slug + "[,}]|[{ ]" + slug + "$");
    }
  }
}
